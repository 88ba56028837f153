"""Request bodies for creating AutoML jobs in tests."""

from __future__ import annotations

import itertools
from typing import Any

ROLE_ARN = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-test"
_names = itertools.count(1)


def unique_name(stem: str) -> str:
    """A job name no other test uses (names are unique per account and region)."""
    return f"{stem[:24]}-{next(_names)}"


def channel(uri: str = "s3://tests-bucket/input/train.csv") -> dict[str, Any]:
    return {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}}


def v1_job(name: str, **overrides: Any) -> dict[str, Any]:
    """A CreateAutoMLJob request (binary classification unless overridden)."""
    request: dict[str, Any] = {
        "AutoMLJobName": name,
        "InputDataConfig": [{**channel(), "TargetAttributeName": "label"}],
        "OutputDataConfig": {"S3OutputPath": "s3://tests-bucket/output"},
        "RoleArn": ROLE_ARN,
    }
    request.update(overrides)
    return request


def v2_job(name: str, problem_config: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A CreateAutoMLJobV2 request for ``problem_config`` (an AutoMLProblemTypeConfig)."""
    request: dict[str, Any] = {
        "AutoMLJobName": name,
        "AutoMLJobInputDataConfig": [channel()],
        "OutputDataConfig": {"S3OutputPath": "s3://tests-bucket/output"},
        "AutoMLProblemTypeConfig": problem_config,
        "RoleArn": ROLE_ARN,
    }
    request.update(overrides)
    return request


def tabular(max_candidates: int | None = None, **config: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {"TargetAttributeName": "label", **config}
    if max_candidates is not None:
        settings["CompletionCriteria"] = {"MaxCandidates": max_candidates}
    return {"TabularJobConfig": settings}


TEXT_CLASSIFICATION = {
    "TextClassificationJobConfig": {"ContentColumn": "text", "TargetLabelColumn": "label"}
}
IMAGE_CLASSIFICATION: dict[str, Any] = {"ImageClassificationJobConfig": {}}
FORECASTING = {
    "TimeSeriesForecastingJobConfig": {
        "ForecastFrequency": "D",
        "ForecastHorizon": 14,
        "TimeSeriesConfig": {
            "TargetAttributeName": "demand",
            "TimestampAttributeName": "day",
            "ItemIdentifierAttributeName": "item_id",
        },
    }
}


def walk_candidates(client: Any, job_name: str, **params: Any) -> list[dict[str, Any]]:
    """Every candidate of a job, following NextToken page by page."""
    candidates: list[dict[str, Any]] = []
    token = None
    while True:
        page = client.list_candidates_for_auto_ml_job(
            AutoMLJobName=job_name, **params, **({"NextToken": token} if token else {})
        )
        candidates += page["Candidates"]
        token = page.get("NextToken")
        if token is None:
            return candidates
