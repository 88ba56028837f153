"""The bytes of a candidate's explainability and model insights reports: small, valid, plausible.

The local SageMaker never reads the training data, so the numbers are drawn deterministically
from the candidate (its name seeds them) and agree with the metrics it reports: the model
quality report's values are the candidate's Validation metrics. Layouts follow what AWS
documents: SageMaker Clarify's ``analysis.json`` (``explanations.kernel_shap``) and Model
Monitor's model quality ``statistics.json`` (``<problem>_metrics`` of ``value`` and
``standard_deviation``). Which file names exist is :mod:`gateway.local.reports`' business.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from gateway.local.jobs import AutoMLJob
from gateway.local.metrics import objective_type, rounded
from gateway.local.naming import stable_seed
from gateway.local.pdf import minimal_pdf
from gateway.shapes import AWS

_TABULAR_FEATURES: Final = 8
_MULTICLASS: Final = (
    "multiclass_classification_metrics",
    {"Accuracy": "accuracy", "RecallMacro": "weighted_recall"}
    | {"PrecisionMacro": "weighted_precision", "F1macro": "weighted_f1"},
)
_MODEL_QUALITY_KEYS: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "BinaryClassification": (
        "binary_classification_metrics",
        {"Accuracy": "accuracy", "Precision": "precision", "Recall": "recall"}
        | {"F1": "f1", "AUC": "auc"},
    ),
    "MulticlassClassification": _MULTICLASS,
    "TextClassification": _MULTICLASS,
    "ImageClassification": _MULTICLASS,
    "Regression": ("regression_metrics", {"MAE": "mae", "MSE": "mse", "RMSE": "rmse", "R2": "r2"}),
    # Model Monitor has no forecasting metrics; AWS does not document this report's layout.
    "TimeSeriesForecasting": (
        "forecasting_metrics",
        {"AverageWeightedQuantileLoss": "average_weighted_quantile_loss", "WAPE": "wape"}
        | {"MAPE": "mape", "MASE": "mase", "RMSE": "rmse"},
    ),
}
"""Per problem type: the statistics section and the names of the candidate's metrics in it."""


def _json(document: dict[str, Any]) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def written_at(candidate: AWS) -> datetime:
    """When the candidate's reports were written: as its artifacts settled (LastModifiedTime)."""
    moment: datetime = candidate["LastModifiedTime"]
    return moment.astimezone(UTC)


def validation_metrics(candidate: AWS) -> dict[str, float]:
    """The candidate's metrics on the Validation set, by standard name."""
    data = candidate.get("CandidateProperties", {}).get("CandidateMetrics", [])
    return {d["StandardMetricName"]: d["Value"] for d in data if d["Set"] == "Validation"}


def _problem_config(job: AutoMLJob) -> AWS:
    config: AWS = job.request.get("AutoMLProblemTypeConfig", {}).get(job.config_key, {})
    return config


def _features(job: AutoMLJob) -> list[str]:
    """What the explanations attribute to (the local SageMaker never sees the columns)."""
    config = _problem_config(job)
    if job.spec.problem == "TextClassification":
        return [config.get("ContentColumn", "text")]
    if job.spec.problem == "ImageClassification":
        return ["image"]
    if job.spec.problem == "TimeSeriesForecasting":
        series = config.get("TimeSeriesConfig", {})
        holidays = [f"holiday_{h['CountryCode']}" for h in config.get("HolidayConfig", [])]
        return [*series.get("GroupingAttributeNames", []), *holidays, "price", "promotion"]
    return [f"feature_{i}" for i in range(1, _TABULAR_FEATURES + 1)]


def _shap_values(job: AutoMLJob, candidate: AWS) -> tuple[dict[str, float], float]:
    """Global SHAP values, largest first, and the expected value they explain from."""
    rng = random.Random(stable_seed(candidate["CandidateName"], "explainability"))
    features = _features(job)
    weights = [rng.random() ** 2 + 0.01 for _ in features]
    scale = rng.uniform(0.05, 0.3) / sum(weights)
    values = sorted(zip(features, weights, strict=True), key=lambda fw: -fw[1])
    return {f: rounded(w * scale) for f, w in values}, rounded(rng.uniform(0.1, 0.9))


def explainability_analysis(job: AutoMLJob, candidate: AWS) -> bytes:
    """Clarify's ``analysis.json``: the global SHAP values of the candidate's features."""
    shap, expected = _shap_values(job, candidate)
    label = {"global_shap_values": shap, "expected_value": expected}
    return _json({"explanations": {"kernel_shap": {"label0": label}}})


def explainability_pdf(job: AutoMLJob, candidate: AWS) -> bytes:
    """The explainability report as Clarify renders it: feature importance, largest first."""
    shap, _ = _shap_values(job, candidate)
    lines = [
        f"Autopilot job: {job.name}",
        f"Candidate: {candidate['CandidateName']}",
        f"Problem type: {job.spec.problem}",
        "",
        "Feature importance (mean absolute SHAP value):",
        *(f"  {feature}: {value:.4f}" for feature, value in shap.items()),
    ]
    return minimal_pdf("Model explainability report", lines, created=written_at(candidate))


def _item_count(candidate: AWS) -> int:
    return random.Random(stable_seed(candidate["CandidateName"], "rows")).randint(1_500, 9_000)


def _confusion_matrix(metrics: dict[str, float], rows: int) -> dict[str, dict[str, int]] | None:
    """Counts that agree with the candidate's accuracy, precision and recall."""
    try:
        accuracy, precision, recall = metrics["Accuracy"], metrics["Precision"], metrics["Recall"]
    except KeyError:
        return None
    errors_per_positive = recall / precision + 1 - 2 * recall  # (FP + FN) / P
    positives = min(max(round((1 - accuracy) * rows / max(errors_per_positive, 1e-6)), 1), rows)
    tp = round(recall * positives)
    fp = min(round(tp / precision) - tp, rows - positives)
    fn = positives - tp
    tn = rows - tp - fp - fn
    return {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}


def model_quality(job: AutoMLJob, candidate: AWS) -> dict[str, Any]:
    """Model Monitor's model quality statistics for the candidate's Validation metrics."""
    section, names = _MODEL_QUALITY_KEYS[job.spec.problem]
    metrics = validation_metrics(candidate)
    rows = _item_count(candidate)
    rng = random.Random(stable_seed(candidate["CandidateName"], "model-quality"))
    values: dict[str, Any] = {}
    if job.spec.problem == "BinaryClassification":
        matrix = _confusion_matrix(metrics, rows)
        if matrix is not None:
            values["confusion_matrix"] = matrix
    for metric, key in names.items():
        if metric in metrics:
            spread = abs(metrics[metric]) * rng.uniform(0.002, 0.012)
            values[key] = {"value": metrics[metric], "standard_deviation": rounded(spread)}
    evaluated = written_at(candidate).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "version": 0.0,
        "dataset": {"item_count": rows, "evaluation_time": evaluated},
        section: values,
    }


def model_insights_statistics(job: AutoMLJob, candidate: AWS) -> bytes:
    """The model quality report's raw data, ``statistics.json``."""
    return _json(model_quality(job, candidate))


def model_insights_pdf(job: AutoMLJob, candidate: AWS) -> bytes:
    """The model performance report: the job details AWS lists, then the metrics table."""
    statistics = model_quality(job, candidate)
    section, _ = _MODEL_QUALITY_KEYS[job.spec.problem]
    objective = job.spec.objective
    lines = [
        f"Autopilot candidate name: {candidate['CandidateName']}",
        f"Autopilot job name: {job.name}",
        f"Problem type: {job.spec.problem}",
        f"Objective metric: {objective}",
        f"Optimization direction: {objective_type(objective)}",
        "",
        f"Model quality report ({statistics['dataset']['item_count']} rows evaluated)",
        *(
            f"  {name}: {value['value']} (standard deviation {value['standard_deviation']})"
            for name, value in statistics[section].items()
            if name != "confusion_matrix"
        ),
    ]
    return minimal_pdf("Model performance report", lines, created=written_at(candidate))
