"""Reads of a running job, as the poller gets them: plain SageMaker structures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.sagemaker.leaderboards import JobCandidates

JOB = "churn-live"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def candidate(index: int, status: str = "InProgress", value: float | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "CandidateName": f"{JOB}-{index:03d}",
        "CandidateStatus": status,
        "CreationTime": START + timedelta(minutes=index),
        "ObjectiveStatus": "Succeeded" if status == "Completed" else "Pending",
    }
    if value is not None:
        found["FinalAutoMLJobObjectiveMetric"] = {"MetricName": "F1", "Value": value}
    return found


def read(
    *candidates: dict[str, Any],
    status: str = "InProgress",
    secondary: str = "ModelTuning",
    best: str | None = None,
) -> JobCandidates:
    description: dict[str, Any] = {
        "AutoMLJobName": JOB,
        "AutoMLJobStatus": status,
        "AutoMLJobSecondaryStatus": secondary,
        "AutoMLJobObjective": {"MetricName": "F1"},
    }
    if best is not None:
        description["BestCandidate"] = next(c for c in candidates if c["CandidateName"] == best)
    return JobCandidates(JOB, description, list(candidates))
