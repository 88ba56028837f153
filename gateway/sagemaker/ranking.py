"""Leaderboards SageMaker cannot make: entries of one or several jobs, ordered and ranked.

An :class:`Order` is one key; several break ties in turn, and the candidate name, then the
job name (A to Z), break the last tie whatever the directions, so the order is total and
deterministic. Candidates without the value of a key sort last in either direction.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias

from gateway.errors import BadUserInput
from gateway.sagemaker.entries import (
    DEFAULT_SET,
    Entry,
    Objectives,
    higher_is_better,
    metric_value,
    objective_higher_is_better,
    objective_value,
    string,
    timestamp,
    training_seconds,
)
from gateway.sagemaker.filters import Filter, canonical_filter

MAX_ORDERS = 10


class OrderBy(StrEnum):
    METRIC = "METRIC"
    OBJECTIVE = "OBJECTIVE"
    CREATION_TIME = "CREATION_TIME"
    END_TIME = "END_TIME"
    TRAINING_SECONDS = "TRAINING_SECONDS"
    NAME = "NAME"
    STATUS = "STATUS"


class Direction(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


@dataclass(frozen=True, slots=True)
class Order:
    """One key of a leaderboard's order. Without a ``direction`` it is best first: metrics by
    their direction, the objective by each candidate's, newest first for creation and end
    times, shortest first for training seconds, A to Z for names and statuses."""

    by: OrderBy
    metric: str | None = None  # for METRIC only: an AutoMLMetricExtendedEnum value
    set: str = DEFAULT_SET  # for METRIC only
    direction: Direction | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "by", OrderBy(self.by))
            if self.direction is not None:
                object.__setattr__(self, "direction", Direction(self.direction))
        except ValueError:
            raise BadUserInput(
                f"Order `by` one of {', '.join(OrderBy)} and `direction` ASC or DESC."
            ) from None
        if self.by == OrderBy.METRIC and not self.metric:
            raise BadUserInput(
                "An order `by: METRIC` needs `metric`: name the metric to order by, "
                "e.g. `metric: F1`."
            )
        if self.by != OrderBy.METRIC and self.metric is not None:
            raise BadUserInput(
                f"`metric` only applies to `by: METRIC`: remove it from the `by: {self.by}` "
                "order, or order `by: METRIC`."
            )

    def canonical(self) -> tuple[str | None, ...]:
        """A JSON-able form, equal for orders that sort alike (``set`` only counts for
        METRIC)."""
        if self.by == OrderBy.METRIC:
            return (self.by.value, self.metric, self.set, _value_of(self.direction))
        return (self.by.value, _value_of(self.direction))


def canonical_orders(orders: Sequence[Order]) -> tuple[tuple[str | None, ...], ...]:
    """The JSON-able form of a list of orders, for a cursor's fingerprint."""
    check_orders(orders)
    return tuple(order.canonical() for order in orders)


def canonical(orders: Sequence[Order], where: Filter | None) -> tuple[object, ...]:
    """The JSON-able form of a leaderboard's orders and filter, to bind cursors to them
    (``cursors.fingerprint``): equal for equal arguments, whatever process computes it."""
    return ("orders", canonical_orders(orders), "filter", canonical_filter(where))


def check_orders(orders: Sequence[Order]) -> None:
    if len(orders) > MAX_ORDERS:
        raise BadUserInput(f"Give at most {MAX_ORDERS} orders; {len(orders)} were given.")


def order_entries(
    entries: Sequence[Entry], orders: Sequence[Order], objectives: Objectives | None = None
) -> list[Entry]:
    """``entries`` sorted by each order in turn, then by candidate name and job name (A to Z,
    missing names last), so the order is total; candidates without a value sort last."""
    check_orders(orders)
    keys = [(*_key(entry, orders, objectives or {}), _tiebreak(entry)) for entry in entries]
    return [entries[i] for i in sorted(range(len(entries)), key=keys.__getitem__)]


def order_and_rank(
    entries: Sequence[Entry], orders: Sequence[Order], objectives: Objectives | None = None
) -> tuple[list[Entry], list[int]]:
    """:func:`order_entries` and the ranks :func:`rank_entries` gives them, from one
    computation of the keys."""
    check_orders(orders)
    keys = [_key(entry, orders, objectives or {}) for entry in entries]
    tiebreaks = [_tiebreak(entry) for entry in entries]
    by_order = sorted(range(len(entries)), key=lambda i: (keys[i], tiebreaks[i]))
    ranks: list[int] = []
    for place, i in enumerate(by_order):
        tied = place and keys[by_order[place - 1]] == keys[i]
        ranks.append(ranks[-1] if tied else place + 1)
    return [entries[i] for i in by_order], ranks


def rank_entries(
    entries: Sequence[Entry], orders: Sequence[Order], objectives: Objectives | None = None
) -> list[int]:
    """Each entry's competition rank (1, 2, 2, 4) under ``orders``, aligned with ``entries``:
    1 plus the number of entries strictly before it. Entries whose values are equal for every
    order share a rank (the name tiebreak aside); lacking a value equals lacking it."""
    check_orders(orders)
    keys = [_key(entry, orders, objectives or {}) for entry in entries]
    ordered = sorted(keys)
    return [bisect_left(ordered, key) + 1 for key in keys]


def pareto_front(
    entries: Sequence[Entry], x: Order, y: Order, objectives: Objectives | None = None
) -> list[Entry]:
    """The entries no other entry dominates on ``x`` and ``y``, in ``x`` order (then ``y``
    order, then names). One dominates another when it is at least as good on both orders and
    better on one, good meaning earlier in the order. Entries lacking either value are out.
    Entries with equal values on both are all kept. O(n log n)."""
    objectives = objectives or {}
    keyed = sorted(
        (_component(x, entry, objectives), _component(y, entry, objectives), _tiebreak(entry), i)
        for i, entry in enumerate(entries)
    )
    front: list[Entry] = []
    best_y: Any = None  # the best y of the entries with a better x
    start = 0
    while start < len(keyed) and keyed[start][0] != _MISSING:  # those lacking x sort last
        group_x, (group_missing, group_y), *_ = keyed[start]  # the best y of this x
        end = start
        while end < len(keyed) and keyed[end][0] == group_x:
            end += 1
        if not group_missing and (best_y is None or group_y < best_y):
            front.extend(entries[k[3]] for k in keyed[start:end] if k[1] == (0, group_y))
            best_y = group_y
        start = end
    return front


class _Descending:
    """A string that sorts Z to A."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __lt__(self, other: _Descending) -> bool:
        return other.text < self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


_Component: TypeAlias = tuple[int, Any]  # (0, value) sorts before (1, None): missing last
_MISSING: _Component = (1, None)


def _key(entry: Entry, orders: Sequence[Order], objectives: Objectives) -> tuple[Any, ...]:
    return tuple(_component(order, entry, objectives) for order in orders)


def _component(order: Order, entry: Entry, objectives: Objectives) -> _Component:
    """The entry's value for ``order``, made to sort ascending in the order's direction."""
    value, descending = _value(order, entry, objectives)
    if value is None:
        return _MISSING
    if order.direction is not None:
        descending = order.direction == Direction.DESC
    if not descending:
        return (0, value)
    return (0, -value if isinstance(value, float) else _Descending(value))


def _value(order: Order, entry: Entry, objectives: Objectives) -> tuple[float | str | None, bool]:
    """The entry's value for ``order``, and whether its best-first direction is descending."""
    candidate = entry.candidate
    if order.by == OrderBy.METRIC:
        return (
            metric_value(candidate, order.metric or "", order.set),
            higher_is_better(order.metric or ""),
        )
    if order.by == OrderBy.OBJECTIVE:
        descending = order.direction is None and objective_higher_is_better(entry, objectives)
        return objective_value(candidate), descending
    if order.by in (OrderBy.CREATION_TIME, OrderBy.END_TIME):
        member = "CreationTime" if order.by == OrderBy.CREATION_TIME else "EndTime"
        return timestamp(candidate.get(member)), True
    if order.by == OrderBy.TRAINING_SECONDS:
        return training_seconds(candidate), False
    member = "CandidateName" if order.by == OrderBy.NAME else "CandidateStatus"
    return string(candidate.get(member)), False


def order_values(
    entry: Entry, orders: Sequence[Order], objectives: Objectives | None = None
) -> tuple[float | str | None, ...]:
    """The entry's value for each order, None where it has none: what decides its place, so
    a cursor can tell that a candidate moved."""
    return tuple(_value(order, entry, objectives or {})[0] for order in orders)


def _tiebreak(entry: Entry) -> tuple[bool, str, str]:
    name = string(entry.candidate.get("CandidateName"))
    return (name is None, name or "", entry.job_name)


def _value_of(direction: Direction | None) -> str | None:
    return None if direction is None else direction.value
