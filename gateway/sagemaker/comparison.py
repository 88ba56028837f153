"""Candidates side by side: every metric any of them has, with each one's gap to the best.

Rows come one per (metric, set) that any compared candidate has a datum of, named as
:func:`gateway.sagemaker.entries.metric_name` names it: by metric name case-insensitively
(``Accuracy``, ``AUC``, ``F1``, ``F1macro``, ``InferenceLatency``, ...), then by set: Train,
Validation, Test, then any set newer than the gateway, A to Z. Data without a name or a set
make no row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.errors import BadUserInput
from gateway.sagemaker.entries import higher_is_better, metric_data, metric_name, metric_value
from gateway.shapes import AWS

MIN_COMPARED = 2
MAX_COMPARED = 10
SETS = ("Train", "Validation", "Test")


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One metric on one set, for each compared candidate in the order given.

    ``values`` hold None where a candidate has no finite value; ``best`` is their maximum, or
    minimum for a metric where lower is better (None without values); ``deltas`` are each
    value minus ``best``: at most 0 where higher is better, at least 0 where lower is, None
    where the value is missing (or the difference overflows a float).
    """

    metric: str
    set: str
    higher_is_better: bool
    values: tuple[float | None, ...]
    best: float | None
    deltas: tuple[float | None, ...]


def compare(candidates: Sequence[AWS]) -> list[ComparisonRow]:
    """The comparison of 2 to 10 candidates, one row per (metric, set), in the documented
    order."""
    if not MIN_COMPARED <= len(candidates) <= MAX_COMPARED:
        raise BadUserInput(
            f"Compare {MIN_COMPARED} to {MAX_COMPARED} candidates; {len(candidates)} were given."
        )
    keys = {
        (name, split)
        for candidate in candidates
        for datum in metric_data(candidate)
        if (name := metric_name(datum)) is not None and isinstance(split := datum.get("Set"), str)
    }
    return [_row(candidates, name, split) for name, split in sorted(keys, key=_row_order)]


def _row(candidates: Sequence[AWS], metric: str, split: str) -> ComparisonRow:
    values = tuple(metric_value(candidate, metric, split) for candidate in candidates)
    present = [value for value in values if value is not None]
    higher = higher_is_better(metric)
    best = (max(present) if higher else min(present)) if present else None
    deltas = tuple(
        None if value is None or best is None else _finite_or_none(value - best) for value in values
    )
    return ComparisonRow(metric, split, higher, values, best, deltas)


def _row_order(key: tuple[str, str]) -> tuple[str, str, int, str]:
    name, split = key
    rank = SETS.index(split) if split in SETS else len(SETS)
    return (name.casefold(), name, rank, split)


def _finite_or_none(number: float) -> float | None:
    return number if math.isfinite(number) else None
