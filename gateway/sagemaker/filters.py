"""Which candidates a leaderboard keeps: a tree of filters over plain candidates.

Every member given in one :class:`Filter` must hold (they are and-ed); a filter with no
member holds for every candidate. ``and_=()`` holds for every candidate and ``or_=()`` for
none, as ``all`` and ``any`` of nothing; likewise ``status=()`` holds for none. ``not_`` is
plain negation: since a metric condition never holds for a candidate without the value, its
negation does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gateway.errors import BadUserInput
from gateway.sagemaker.entries import DEFAULT_SET, Entry, finite, metric_value, string
from gateway.shapes import AWS

MAX_DEPTH = 10
MAX_FILTERS = 100


@dataclass(frozen=True, slots=True)
class MetricCondition:
    """Metric ``name`` on split ``set`` within the given bounds; never holds for a candidate
    without the value (see :func:`gateway.sagemaker.entries.metric_value`)."""

    name: str
    set: str = DEFAULT_SET
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise BadUserInput("A metric condition needs `name`: the metric to test, e.g. F1.")
        bounds = (self.gt, self.gte, self.lt, self.lte)
        if all(bound is None for bound in bounds):
            raise BadUserInput(
                f"The metric condition on {self.name[:64]} has no bound: "
                "give at least one of gt, gte, lt, lte."
            )
        if any(bound is not None and finite(bound) is None for bound in bounds):
            raise BadUserInput(
                f"The bounds of the metric condition on {self.name[:64]} must be finite numbers."
            )

    def holds(self, candidate: AWS) -> bool:
        value = metric_value(candidate, self.name, self.set)
        return value is not None and (
            (self.gt is None or value > self.gt)
            and (self.gte is None or value >= self.gte)
            and (self.lt is None or value < self.lt)
            and (self.lte is None or value <= self.lte)
        )

    def canonical(self) -> tuple[str | float | None, ...]:
        """A JSON-able form: equal bounds give equal forms (``1`` and ``1.0``, ``-0.0`` and
        ``0.0``)."""
        bounds = (self.gt, self.gte, self.lt, self.lte)
        return (self.name, self.set, *(None if b is None else float(b) + 0.0 for b in bounds))


@dataclass(frozen=True, slots=True)
class Filter:
    """One node of a filter tree; every member given must hold.

    ``status`` and ``objective_status`` hold for the candidates whose ``CandidateStatus``
    (``ObjectiveStatus``) is one of the values, matched exactly, so a value newer than the
    gateway can be named too. ``name_contains`` is case-insensitive. A tree is at most
    :data:`MAX_DEPTH` filters deep and holds at most :data:`MAX_FILTERS` filters (the root,
    and every filter under ``and_``, ``or_`` and ``not_``): a larger one is refused.
    """

    and_: tuple[Filter, ...] | None = None
    or_: tuple[Filter, ...] | None = None
    not_: Filter | None = None
    status: tuple[str, ...] | None = None
    objective_status: tuple[str, ...] | None = None
    name_contains: str | None = None
    metric: MetricCondition | None = None
    depth: int = field(init=False, default=1, compare=False, repr=False)
    size: int = field(init=False, default=1, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("and_", "or_", "status", "objective_status"):  # lists are welcome
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        children = self.children()
        depth = 1 + max((child.depth for child in children), default=0)
        size = 1 + sum(child.size for child in children)
        if depth > MAX_DEPTH:
            raise BadUserInput(f"Nest filters at most {MAX_DEPTH} deep; simplify the filter.")
        if size > MAX_FILTERS:
            raise BadUserInput(
                f"A filter may hold at most {MAX_FILTERS} filters (with every one under "
                "`and`, `or` and `not`); simplify the filter."
            )
        object.__setattr__(self, "depth", depth)
        object.__setattr__(self, "size", size)

    def children(self) -> list[Filter]:
        """The filters directly under this one."""
        return [*(self.and_ or ()), *(self.or_ or ()), *([] if self.not_ is None else [self.not_])]

    def holds(self, candidate: AWS) -> bool:
        name = self.name_contains
        return (
            (self.and_ is None or all(f.holds(candidate) for f in self.and_))
            and (self.or_ is None or any(f.holds(candidate) for f in self.or_))
            and (self.not_ is None or not self.not_.holds(candidate))
            and (self.status is None or candidate.get("CandidateStatus") in self.status)
            and (
                self.objective_status is None
                or candidate.get("ObjectiveStatus") in self.objective_status
            )
            and (
                name is None
                or name.casefold() in (string(candidate.get("CandidateName")) or "").casefold()
            )
            and (self.metric is None or self.metric.holds(candidate))
        )

    def canonical(self) -> tuple[object, ...]:
        """A JSON-able form for a cursor's fingerprint: the members given, in a fixed order;
        status lists sorted without repeats, ``name_contains`` case-folded."""
        parts: list[tuple[str, object]] = []
        for name, children in (("and", self.and_), ("or", self.or_)):
            if children is not None:
                parts.append((name, tuple(child.canonical() for child in children)))
        if self.not_ is not None:
            parts.append(("not", self.not_.canonical()))
        for name, values in (("status", self.status), ("objective_status", self.objective_status)):
            if values is not None:
                parts.append((name, tuple(sorted(set(values)))))
        if self.name_contains is not None:
            parts.append(("name_contains", self.name_contains.casefold()))
        if self.metric is not None:
            parts.append(("metric", self.metric.canonical()))
        return tuple(parts)


def filter_entries(entries: Iterable[Entry], where: Filter | None) -> list[Entry]:
    """The entries whose candidate ``where`` holds for, in their order; all without a filter."""
    return [entry for entry in entries if where is None or where.holds(entry.candidate)]


def canonical_filter(where: Filter | None) -> tuple[object, ...]:
    """The JSON-able form of an optional filter; no filter is the empty filter."""
    return () if where is None else where.canonical()
