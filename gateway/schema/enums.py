"""GraphQL enums mirroring SageMaker's, named in SCREAMING_SNAKE_CASE of the AWS values.

SageMaker adds enum values over time. Output enums therefore carry ``UNKNOWN``: a value
this gateway does not know yet resolves to it (and is logged once) instead of failing the
query. A test compares every enum here with botocore's service model.
"""

from __future__ import annotations

import logging
from enum import Enum
from functools import cache
from typing import TypeVar

import strawberry

logger = logging.getLogger(__name__)

UNKNOWN_DESCRIPTION = (
    "A value SageMaker returned that this version of the gateway does not know yet."
)

E = TypeVar("E", bound=Enum)
_reported: set[tuple[str, str]] = set()


@cache
def members(enum: type[E]) -> dict[object, E]:
    """The members of ``enum`` by AWS value.

    A dict rather than enum(value): Enum's lookup measured ~30 µs per call on these
    strawberry enums, and a page of candidates holds thousands of enum values.
    """
    return {member.value: member for member in enum}


def from_aws(enum: type[E], value: str) -> E:
    """The member for an AWS value, or ``UNKNOWN`` for a value added after this release."""
    known: dict[object, E] = members(enum)
    member = known.get(value)
    if member is None:
        if (enum.__name__, value) not in _reported:
            _reported.add((enum.__name__, value))
            logger.warning(
                "SageMaker returned %s value %r, unknown to the gateway", enum.__name__, value
            )
        unknown: E = enum["UNKNOWN"]
        return unknown
    return member


def optional_from_aws(enum: type[E], value: str | None) -> E | None:
    return None if value is None else from_aws(enum, value)


class AwsEnum(Enum):
    """Base of the gateway's enums. Members hash by identity, as they compare: Enum's own
    ``__hash__`` is a Python function, and a page of candidates looks up thousands of
    members to serialize them."""

    __hash__ = object.__hash__


def _unknown() -> str:
    return strawberry.enum_value("UNKNOWN", description=UNKNOWN_DESCRIPTION)  # type: ignore[return-value]


@strawberry.enum(description="Status of a candidate (CandidateStatus).")
class CandidateStatus(AwsEnum):
    COMPLETED = "Completed"
    IN_PROGRESS = "InProgress"
    FAILED = "Failed"
    STOPPED = "Stopped"
    STOPPING = "Stopping"
    UNKNOWN = _unknown()


@strawberry.enum(description="Status of an AutoML job (AutoMLJobStatus).")
class AutoMLJobStatus(AwsEnum):
    COMPLETED = "Completed"
    IN_PROGRESS = "InProgress"
    FAILED = "Failed"
    STOPPED = "Stopped"
    STOPPING = "Stopping"
    UNKNOWN = _unknown()


@strawberry.enum(description="What an AutoML job is doing (AutoMLJobSecondaryStatus).")
class AutoMLJobSecondaryStatus(AwsEnum):
    STARTING = "Starting"
    MAX_CANDIDATES_REACHED = "MaxCandidatesReached"
    FAILED = "Failed"
    STOPPED = "Stopped"
    MAX_AUTO_ML_JOB_RUNTIME_REACHED = "MaxAutoMLJobRuntimeReached"
    STOPPING = "Stopping"
    CANDIDATE_DEFINITIONS_GENERATED = "CandidateDefinitionsGenerated"
    COMPLETED = "Completed"
    EXPLAINABILITY_ERROR = "ExplainabilityError"
    DEPLOYING_MODEL = "DeployingModel"
    MODEL_DEPLOYMENT_ERROR = "ModelDeploymentError"
    GENERATING_MODEL_INSIGHTS_REPORT = "GeneratingModelInsightsReport"
    MODEL_INSIGHTS_ERROR = "ModelInsightsError"
    ANALYZING_DATA = "AnalyzingData"
    FEATURE_ENGINEERING = "FeatureEngineering"
    MODEL_TUNING = "ModelTuning"
    GENERATING_EXPLAINABILITY_REPORT = "GeneratingExplainabilityReport"
    TRAINING_MODELS = "TrainingModels"
    PRE_TRAINING = "PreTraining"
    UNKNOWN = _unknown()


@strawberry.enum(description="Whether a candidate's objective metric is known (ObjectiveStatus).")
class ObjectiveStatus(AwsEnum):
    SUCCEEDED = "Succeeded"
    PENDING = "Pending"
    FAILED = "Failed"
    UNKNOWN = _unknown()


@strawberry.enum(
    description="Kind of job behind a candidate step (CandidateStepType, "
    "without its `AWS::SageMaker::` prefix)."
)
class CandidateStepType(AwsEnum):
    TRAINING_JOB = "AWS::SageMaker::TrainingJob"
    TRANSFORM_JOB = "AWS::SageMaker::TransformJob"
    PROCESSING_JOB = "AWS::SageMaker::ProcessingJob"
    UNKNOWN = _unknown()


@strawberry.enum(description="Whether the objective is maximized or minimized.")
class AutoMLJobObjectiveType(AwsEnum):
    MAXIMIZE = "Maximize"
    MINIMIZE = "Minimize"
    UNKNOWN = _unknown()


@strawberry.enum(description="An AutoML objective metric (AutoMLMetricEnum).")
class AutoMLMetric(AwsEnum):
    ACCURACY = "Accuracy"
    MSE = "MSE"
    F1 = "F1"
    F1_MACRO = "F1macro"
    AUC = "AUC"
    RMSE = "RMSE"
    BALANCED_ACCURACY = "BalancedAccuracy"
    R2 = "R2"
    RECALL = "Recall"
    RECALL_MACRO = "RecallMacro"
    PRECISION = "Precision"
    PRECISION_MACRO = "PrecisionMacro"
    MAE = "MAE"
    MAPE = "MAPE"
    MASE = "MASE"
    WAPE = "WAPE"
    AVERAGE_WEIGHTED_QUANTILE_LOSS = "AverageWeightedQuantileLoss"
    UNKNOWN = _unknown()


@strawberry.enum(description="A standard candidate metric (AutoMLMetricExtendedEnum).")
class AutoMLMetricExtended(AwsEnum):
    ACCURACY = "Accuracy"
    MSE = "MSE"
    F1 = "F1"
    F1_MACRO = "F1macro"
    AUC = "AUC"
    RMSE = "RMSE"
    MAE = "MAE"
    R2 = "R2"
    BALANCED_ACCURACY = "BalancedAccuracy"
    PRECISION = "Precision"
    PRECISION_MACRO = "PrecisionMacro"
    RECALL = "Recall"
    RECALL_MACRO = "RecallMacro"
    LOG_LOSS = "LogLoss"
    INFERENCE_LATENCY = "InferenceLatency"
    MAPE = "MAPE"
    MASE = "MASE"
    WAPE = "WAPE"
    AVERAGE_WEIGHTED_QUANTILE_LOSS = "AverageWeightedQuantileLoss"
    ROUGE1 = "Rouge1"
    ROUGE2 = "Rouge2"
    ROUGE_L = "RougeL"
    ROUGE_L_SUM = "RougeLSum"
    PERPLEXITY = "Perplexity"
    VALIDATION_LOSS = "ValidationLoss"
    TRAINING_LOSS = "TrainingLoss"
    UNKNOWN = _unknown()


@strawberry.enum(description="The data split a metric was measured on (MetricSetSource).")
class MetricSetSource(AwsEnum):
    TRAIN = "Train"
    VALIDATION = "Validation"
    TEST = "Test"
    UNKNOWN = _unknown()


@strawberry.enum(description="Processing unit of an inference container (AutoMLProcessingUnit).")
class AutoMLProcessingUnit(AwsEnum):
    CPU = "CPU"
    GPU = "GPU"
    UNKNOWN = _unknown()


@strawberry.enum(description="Problem type of an AutoML job (AutoMLProblemTypeConfigName).")
class AutoMLProblemTypeConfigName(AwsEnum):
    IMAGE_CLASSIFICATION = "ImageClassification"
    TEXT_CLASSIFICATION = "TextClassification"
    TIME_SERIES_FORECASTING = "TimeSeriesForecasting"
    TABULAR = "Tabular"
    TEXT_GENERATION = "TextGeneration"
    UNKNOWN = _unknown()


@strawberry.enum(description="Problem type of a tabular AutoML job (ProblemType).")
class ProblemType(AwsEnum):
    BINARY_CLASSIFICATION = "BinaryClassification"
    MULTICLASS_CLASSIFICATION = "MulticlassClassification"
    REGRESSION = "Regression"
    UNKNOWN = _unknown()


@strawberry.enum(description="What SageMaker sorts candidates by (CandidateSortBy).")
class CandidateSortBy(AwsEnum):
    CREATION_TIME = "CreationTime"
    STATUS = "Status"
    FINAL_OBJECTIVE_METRIC_VALUE = "FinalObjectiveMetricValue"


@strawberry.enum(description="Sort direction (AutoMLSortOrder).")
class SortOrder(AwsEnum):
    ASCENDING = "Ascending"
    DESCENDING = "Descending"


@strawberry.enum(description="What SageMaker sorts AutoML jobs by (AutoMLSortBy).")
class AutoMLSortBy(AwsEnum):
    NAME = "Name"
    CREATION_TIME = "CreationTime"
    STATUS = "Status"
