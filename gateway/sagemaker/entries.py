"""What a leaderboard reads from a candidate: its metrics, objective, times and names.

A candidate is an ``AutoMLCandidate`` as botocore returns it: any member may be missing
(botocore drops nulls) and enum members may hold values newer than this code; neither ever
raises here. A value that is missing, not a number or not finite (NaN, ±infinity) is absent:
None. Each candidate comes as an :class:`Entry` with its job's name, so leaderboards can span
jobs; the direction of a job's objective comes from a mapping of job names to
:class:`Objective`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

from gateway.shapes import AWS

DEFAULT_SET = "Validation"
LOWER_IS_BETTER = frozenset(
    {
        "MSE",
        "RMSE",
        "MAE",
        "MAPE",
        "MASE",
        "WAPE",
        "AverageWeightedQuantileLoss",
        "LogLoss",
        "InferenceLatency",
        "TrainingLoss",
        "ValidationLoss",
        "Perplexity",
    }
)


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of ``metric`` (an AutoMLMetricExtendedEnum value) is better:
    true for every metric but the errors, losses and latency of :data:`LOWER_IS_BETTER`."""
    return metric not in LOWER_IS_BETTER


@dataclass(frozen=True, slots=True)
class Objective:
    """A job's objective: its metric and whether a higher value is better."""

    metric: str
    higher_is_better: bool

    @classmethod
    def of(cls, metric: str) -> Objective:
        """The objective of a job that optimizes ``metric`` (an AutoMLMetricEnum value)."""
        return cls(metric, higher_is_better(metric))

    @classmethod
    def from_job(cls, description: AWS) -> Objective | None:
        """The objective of a ``DescribeAutoMLJob(V2)`` answer; None when it names none."""
        metric = member(description.get("AutoMLJobObjective"), "MetricName")
        return cls.of(metric) if isinstance(metric, str) else None


@dataclass(frozen=True, slots=True)
class Entry:
    """A candidate of a leaderboard and the name of the job it belongs to."""

    job_name: str
    candidate: AWS = field(hash=False)


Objectives: TypeAlias = Mapping[str, Objective]
"""Each job's objective, by job name. A job missing from it falls back as documented in
:func:`objective_higher_is_better`."""


def metric_value(candidate: AWS, name: str, set: str = DEFAULT_SET) -> float | None:
    """The value of metric ``name`` on split ``set`` (Train, Validation or Test).

    A datum matches on its ``StandardMetricName``, or on its ``MetricName`` where it has no
    standard name, and on its ``Set`` (a datum without a ``Set`` matches no split). The first
    finite value of the matching data wins; None when there is none.
    """
    for datum in metric_data(candidate):
        if datum.get("Set") == set and metric_name(datum) == name:
            value = finite(datum.get("Value"))
            if value is not None:
                return value
    return None


def metric_data(candidate: AWS) -> list[AWS]:
    """The candidate's ``CandidateProperties.CandidateMetrics`` (its dicts only)."""
    data = member(candidate.get("CandidateProperties"), "CandidateMetrics")
    return [datum for datum in data if isinstance(datum, dict)] if isinstance(data, list) else []


def metric_name(datum: AWS) -> str | None:
    """A ``MetricDatum``'s name: its ``StandardMetricName``, else its ``MetricName``."""
    for key in ("StandardMetricName", "MetricName"):
        name = datum.get(key)
        if isinstance(name, str):
            return name
    return None


def objective_value(candidate: AWS) -> float | None:
    """The finite value of ``FinalAutoMLJobObjectiveMetric``, or None."""
    return finite(member(candidate.get("FinalAutoMLJobObjectiveMetric"), "Value"))


def objective_higher_is_better(entry: Entry, objectives: Objectives) -> bool:
    """The direction of a candidate's objective: its ``FinalAutoMLJobObjectiveMetric.Type``
    (Maximize or Minimize) where present, else its job's objective, else the direction of the
    final metric's name, else higher is better."""
    final = entry.candidate.get("FinalAutoMLJobObjectiveMetric")
    kind = member(final, "Type")
    if kind in ("Maximize", "Minimize"):
        return kind == "Maximize"
    objective = objectives.get(entry.job_name)
    if objective is not None:
        return objective.higher_is_better
    name = member(final, "StandardMetricName") or member(final, "MetricName")
    return higher_is_better(name) if isinstance(name, str) else True


def training_seconds(candidate: AWS) -> float | None:
    """``EndTime`` minus ``CreationTime`` in seconds; None without both."""
    start, end = timestamp(candidate.get("CreationTime")), timestamp(candidate.get("EndTime"))
    return None if start is None or end is None else end - start


def finite(value: object) -> float | None:
    """``value`` as a float when it is a finite number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return number if math.isfinite(number) else None


def timestamp(value: object) -> float | None:
    """A datetime as seconds since the epoch; None for anything else."""
    if not isinstance(value, datetime):
        return None
    try:
        return value.timestamp()
    except (OverflowError, OSError, ValueError):  # a naive time at the ends of the calendar
        return None


def string(value: object) -> str | None:
    """``value`` when it is a string, else None."""
    return value if isinstance(value, str) else None


def member(structure: object, name: str) -> object:
    """Member ``name`` of ``structure`` when it is a dict, else None."""
    return structure.get(name) if isinstance(structure, dict) else None
