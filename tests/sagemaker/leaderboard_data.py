"""Hand-made and generated ``AutoMLCandidate`` dicts for the leaderboard tests.

Generated candidates draw from few names, values and times so that ties are common, and
include what botocore may hand out: missing members, NaN and infinities, a status newer than
the gateway, data with only a ``MetricName`` or without a ``Set``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from gateway.sagemaker.entries import Entry
from gateway.shapes import AWS

T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)
NAN = math.nan
INF = math.inf


def datum(
    metric: str, value: float, split: str | None = "Validation", *, standard: bool = True
) -> AWS:
    """A ``MetricDatum``: with a ``StandardMetricName`` (and the same ``MetricName``), or
    with a ``MetricName`` only."""
    out: AWS = {"MetricName": metric, "Value": value}
    if standard:
        out["StandardMetricName"] = metric
    if split is not None:
        out["Set"] = split
    return out


def candidate(
    name: str | None = "c",
    *,
    status: str | None = "Completed",
    objective_status: str | None = "Succeeded",
    objective: float | None = None,
    objective_type: str | None = None,
    objective_metric: str = "F1",
    created: float | None = 0,
    ended: float | None = None,
    metrics: dict[str, float] | None = None,
    data: list[AWS] | None = None,
) -> AWS:
    """A candidate with the members given; ``metrics`` are Validation data by name, times
    are seconds after :data:`T0`."""
    out: AWS = {}
    members: dict[str, Any] = {
        "CandidateName": name,
        "CandidateStatus": status,
        "ObjectiveStatus": objective_status,
        "CreationTime": None if created is None else T0 + timedelta(seconds=created),
        "EndTime": None if ended is None else T0 + timedelta(seconds=ended),
    }
    out.update({key: value for key, value in members.items() if value is not None})
    if objective is not None:
        final: AWS = {"MetricName": objective_metric, "Value": objective}
        if objective_type is not None:
            final["Type"] = objective_type
        out["FinalAutoMLJobObjectiveMetric"] = final
    all_data = [datum(m, v) for m, v in (metrics or {}).items()] + (data or [])
    if all_data:
        out["CandidateProperties"] = {"CandidateMetrics": all_data}
    return out


def names(entries: list[Entry]) -> list[str | None]:
    return [entry.candidate.get("CandidateName") for entry in entries]


METRICS = ["F1", "InferenceLatency", "LogLoss", "Accuracy"]
SETS = ["Train", "Validation", "Test"]
VALUES = st.sampled_from([0.0, -0.0, 0.25, 0.5, 1.0, 2.0, NAN, INF, -INF]) | st.floats(-3, 3)
TIMES = st.sampled_from([T0 + timedelta(seconds=s) for s in (0, 10, 20, 30)])


def _optional(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | values


@st.composite
def metric_datum(draw: st.DrawFn) -> AWS:
    members = {
        "StandardMetricName": draw(_optional(st.sampled_from(METRICS))),
        "MetricName": draw(_optional(st.sampled_from(METRICS))),
        "Set": draw(st.sampled_from([*SETS, "Validation", "Validation", None])),
        "Value": draw(_optional(VALUES)),
    }
    return {key: value for key, value in members.items() if value is not None}


@st.composite
def candidates(draw: st.DrawFn) -> AWS:
    members: dict[str, Any] = {
        "CandidateName": draw(st.sampled_from(["a", "b", "ab", "B", "c", None])),
        "CandidateStatus": draw(
            st.sampled_from(["Completed", "InProgress", "Failed", "Stopped", "Deleting", None])
        ),
        "ObjectiveStatus": draw(st.sampled_from(["Succeeded", "Pending", "Failed", None])),
        "CreationTime": draw(_optional(TIMES)),
        "EndTime": draw(_optional(TIMES)),
    }
    out = {key: value for key, value in members.items() if value is not None}
    if draw(st.booleans()):
        final = {
            "Type": draw(st.sampled_from(["Maximize", "Minimize", "Sideways", None])),
            "MetricName": draw(st.sampled_from(["F1", "LogLoss"])),
            "Value": draw(_optional(VALUES)),
        }
        out["FinalAutoMLJobObjectiveMetric"] = {k: v for k, v in final.items() if v is not None}
    data: list[AWS] = draw(st.lists(metric_datum(), max_size=4))
    keep_empty: bool = draw(st.booleans())
    if data or keep_empty:
        out["CandidateProperties"] = {"CandidateMetrics": data}
    return out


ENTRIES = st.lists(st.builds(Entry, st.sampled_from(["job-1", "job-2"]), candidates()), max_size=12)
