"""The problem types Autopilot solves, and the objective metrics each one accepts.

One table per fact, from botocore's model docs (AutoMLJobObjective.MetricName and
AutoMLProblemTypeConfig), so job creation, candidate generation and describe agree on them.
"""

from __future__ import annotations

from typing import Final, Literal

ProblemKind = Literal[
    "BinaryClassification",
    "MulticlassClassification",
    "Regression",
    "TimeSeriesForecasting",
    "TextClassification",
    "ImageClassification",
]

TABULAR_KINDS: Final[frozenset[str]] = frozenset(
    {"BinaryClassification", "MulticlassClassification", "Regression"}
)

CONFIG_NAMES: Final[dict[str, str]] = {
    "TabularJobConfig": "Tabular",
    "TimeSeriesForecastingJobConfig": "TimeSeriesForecasting",
    "TextClassificationJobConfig": "TextClassification",
    "ImageClassificationJobConfig": "ImageClassification",
    "TextGenerationJobConfig": "TextGeneration",
}
"""AutoMLProblemTypeConfig members and the AutoMLProblemTypeConfigName each one stands for."""

ALLOWED_OBJECTIVES: Final[dict[str, tuple[str, ...]]] = {
    "BinaryClassification": ("Accuracy", "AUC", "BalancedAccuracy", "F1", "Precision", "Recall"),
    "MulticlassClassification": (
        "Accuracy",
        "BalancedAccuracy",
        "F1macro",
        "PrecisionMacro",
        "RecallMacro",
    ),
    "Regression": ("MAE", "MSE", "R2", "RMSE"),
    "TimeSeriesForecasting": ("RMSE", "AverageWeightedQuantileLoss", "MASE", "MAPE", "WAPE"),
    "TextClassification": ("Accuracy",),
    "ImageClassification": ("Accuracy",),
}
DEFAULT_OBJECTIVE: Final[dict[str, str]] = {
    "BinaryClassification": "F1",
    "MulticlassClassification": "Accuracy",
    "Regression": "MSE",
    "TimeSeriesForecasting": "AverageWeightedQuantileLoss",
    "TextClassification": "Accuracy",
    "ImageClassification": "Accuracy",
}
OBJECTIVE_PROBLEM: Final[dict[str, ProblemKind]] = {
    "F1": "BinaryClassification",
    "AUC": "BinaryClassification",
    "Precision": "BinaryClassification",
    "Recall": "BinaryClassification",
    "Accuracy": "BinaryClassification",
    "BalancedAccuracy": "BinaryClassification",
    "F1macro": "MulticlassClassification",
    "PrecisionMacro": "MulticlassClassification",
    "RecallMacro": "MulticlassClassification",
    "MSE": "Regression",
    "RMSE": "Regression",
    "MAE": "Regression",
    "R2": "Regression",
}
"""The tabular problem type CreateAutoMLJob infers from an objective given without one."""
