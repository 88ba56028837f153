"""Orders over a job's candidates: its best one, and ListCandidatesForAutoMLJob's sort orders.

Both are total and deterministic (ties fall back to creation order, then the name), so the same
job always reports the same best candidate and pages never shuffle between requests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gateway.local.metrics import objective_type
from gateway.shapes import AWS


def _creation_order(c: AWS) -> tuple[Any, ...]:
    return (c["CreationTime"], c["CandidateName"])


def best_candidate(candidates: Sequence[AWS], objective: str) -> AWS | None:
    """The candidate with the best final objective value (ties: earliest, then by name)."""
    scored = [c for c in candidates if "FinalAutoMLJobObjectiveMetric" in c]
    if not scored:
        return None
    sign = 1.0 if objective_type(objective) == "Minimize" else -1.0
    return min(
        scored,
        key=lambda c: (
            sign * float(c["FinalAutoMLJobObjectiveMetric"]["Value"]),
            *_creation_order(c),
        ),
    )


def sort_candidates(candidates: list[AWS], sort_by: str, sort_order: str) -> list[AWS]:
    """A total, deterministic order (ties broken by CreationTime, then CandidateName).

    With FinalObjectiveMetricValue, candidates without a final metric come last in both orders.
    """
    descending = sort_order == "Descending"
    if sort_by == "FinalObjectiveMetricValue":
        scored = [c for c in candidates if "FinalAutoMLJobObjectiveMetric" in c]
        unscored = [c for c in candidates if "FinalAutoMLJobObjectiveMetric" not in c]
        scored.sort(
            key=lambda c: (c["FinalAutoMLJobObjectiveMetric"]["Value"], *_creation_order(c)),
            reverse=descending,
        )
        return scored + sorted(unscored, key=_creation_order, reverse=descending)
    key: Callable[[AWS], tuple[Any, ...]] = _creation_order
    if sort_by == "Status":
        key = lambda c: (c["CandidateStatus"], *_creation_order(c))  # noqa: E731
    return sorted(candidates, key=key, reverse=descending)
