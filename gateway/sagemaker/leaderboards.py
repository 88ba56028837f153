"""Leaderboards the gateway orders itself: whole candidate sets, filtered, ordered, ranked, paged.

A job has at most 750 candidates, so its whole set is read once (300 a call, after the one
describe that tells how long the set may be cached) and any order and filter is answered
exactly here. Cursors point at a candidate (a :class:`~gateway.sagemaker.cursors.Mark`), not
at an offset: while a running job gains candidates, paging goes on from the marked one; when
that candidate moved (its values of the order's keys changed) or is gone, the cursor is stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.sagemaker.cursors import CursorCodec, Mark, fingerprint
from gateway.sagemaker.entries import Entry, Objective, Objectives, member
from gateway.sagemaker.filters import Filter, filter_entries
from gateway.sagemaker.planner import ConnectionPage, PageLimits, StaleCursor, check_page_size
from gateway.sagemaker.ranking import Order, order_and_rank, order_values
from gateway.shapes import AWS

MEMO_CANDIDATES = 15_000
"""How many candidates the kept rankings may hold in all (twenty 750-candidate jobs): each
keeps the answers it was computed from alive, so the memo is bounded by what it holds."""


@dataclass(frozen=True, slots=True)
class JobCandidates:
    """A job's description and its whole candidate set, in SageMaker's order."""

    job_name: str
    description: AWS
    candidates: list[AWS]
    answers: tuple[AWS, ...] = field(default=(), compare=False)
    """The ListCandidatesForAutoMLJob answers the set was read from, as cached: while they
    are the same objects, the set is the same, so its orders can be reused."""

    @property
    def objective(self) -> Objective | None:
        resolved = member(self.description.get("ResolvedAttributes"), "AutoMLJobObjective")
        metric = member(resolved or self.description.get("AutoMLJobObjective"), "MetricName")
        return Objective.of(metric) if isinstance(metric, str) else None

    @property
    def best_candidate_name(self) -> str | None:
        name = member(self.description.get("BestCandidate"), "CandidateName")
        return name if isinstance(name, str) else None

    def entries(self) -> list[Entry]:
        return [Entry(self.job_name, candidate) for candidate in self.candidates]


@dataclass(frozen=True, slots=True)
class Ranked:
    """A candidate of a leaderboard and its 1-based rank (equal values share a rank)."""

    entry: Entry
    rank: int


@dataclass(frozen=True, slots=True)
class Leaderboard:
    """One ordered, filtered and ranked candidate list, ready to be paged both ways."""

    ranked: list[Ranked]
    orders: tuple[Order, ...]
    objectives: Objectives
    fingerprint: str
    codec: CursorCodec
    limits: PageLimits
    _index: dict[tuple[str, str], int] = field(default_factory=dict, compare=False)

    @classmethod
    def of(
        cls,
        entries: Sequence[Entry],
        *,
        orders: Sequence[Order],
        where: Filter | None,
        objectives: Objectives,
        fingerprint: str,
        codec: CursorCodec,
        limits: PageLimits,
    ) -> Leaderboard:
        """``entries`` filtered by ``where`` and ordered by ``orders``; without orders, they
        keep the order given (SageMaker's) and each one's rank is its position in it."""
        ranked = _rank(entries, tuple(orders), where, objectives)
        return cls(ranked, tuple(orders), objectives, fingerprint, codec, limits)

    @classmethod
    def of_sets(
        cls,
        sets: Sequence[JobCandidates],
        *,
        orders: Sequence[Order],
        where: Filter | None,
        objectives: Objectives,
        fingerprint: str,
        codec: CursorCodec,
        limits: PageLimits,
    ) -> Leaderboard:
        """:meth:`of` the sets' entries, reusing the order computed for the very same cached
        answers: every page of a finished job's leaderboard is then a slice, not a sort."""
        key = (
            tuple(_SameAnswers(s) for s in sets),
            tuple(orders),
            where,
            tuple(sorted(objectives.items())),
        )
        ranked = _ranked_sets(*key)
        return cls(ranked, tuple(orders), objectives, fingerprint, codec, limits)

    def page(
        self,
        *,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ConnectionPage[Ranked]:
        """The Relay window: the items between the cursors, then ``first``, then ``last``.
        Page info is exact both ways: there are items past the page on that side."""
        check_page_size("first", first, self.limits)
        check_page_size("last", last, self.limits)
        if first is None and last is None:
            first = self.limits.default_size
        start, stop = 0, len(self.ranked)
        if after is not None:
            start = self._position(after) + 1
        if before is not None:
            stop = max(start, self._position(before))
        if first is not None:
            stop = min(stop, start + first)
        if last is not None:
            start = max(start, stop - last)
        window = self.ranked[start:stop]
        return ConnectionPage(
            edges=[(item, self._cursor(item)) for item in window],
            has_next_page=stop < len(self.ranked),
            has_previous_page=start > 0,
            ranks=[item.rank for item in window],
        )

    async def total_count(self) -> int:
        """Exact and free: the whole set is in hand (async, like a paged list's count)."""
        return len(self.ranked)

    def _values(self, entry: Entry) -> str:
        return fingerprint("values", list(order_values(entry, self.orders, self.objectives)))

    def _cursor(self, item: Ranked) -> str:
        name = str(item.entry.candidate.get("CandidateName", ""))
        mark = Mark(item.entry.job_name, name, self._values(item.entry))
        return self.codec.encode_mark(self.fingerprint, mark)

    def _position(self, cursor: str) -> int:
        mark = self.codec.decode_mark(cursor, self.fingerprint)
        if not self._index:
            for index, item in enumerate(self.ranked):
                name = str(item.entry.candidate.get("CandidateName", ""))
                self._index[(item.entry.job_name, name)] = index
        position = self._index.get((mark.job_name, mark.candidate_name))
        if position is None or self._values(self.ranked[position].entry) != mark.values:
            raise StaleCursor
        return position


def _rank(
    entries: Sequence[Entry],
    orders: tuple[Order, ...],
    where: Filter | None,
    objectives: Objectives,
) -> list[Ranked]:
    kept = filter_entries(entries, where)
    if orders:
        kept, ranks = order_and_rank(kept, orders, objectives)
    else:
        ranks = list(range(1, len(kept) + 1))
    return [Ranked(entry, rank) for entry, rank in zip(kept, ranks, strict=True)]


class _SameAnswers:
    """A set in a memo's key: equal only to a set read from the very same answer objects
    (which the cache never changes), and holding them, so their identities stay unique."""

    __slots__ = ("_hash", "set")

    def __init__(self, candidates: JobCandidates) -> None:
        self.set = candidates
        self._hash = hash((candidates.job_name, *map(id, candidates.answers)))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _SameAnswers) or not self.set.answers:
            return other is self
        mine, theirs = self.set, other.set
        return (
            mine.job_name == theirs.job_name
            and len(mine.answers) == len(theirs.answers)
            and all(a is b for a, b in zip(mine.answers, theirs.answers, strict=True))
        )


MemoKey = tuple[
    tuple[_SameAnswers, ...], tuple[Order, ...], Filter | None, tuple[tuple[str, Objective], ...]
]
_memo: OrderedDict[MemoKey, list[Ranked]] = OrderedDict()
_memo_sizes: dict[MemoKey, int] = {}
_memo_lock = threading.Lock()
_memo_held = 0  # candidates the kept rankings hold, in all


def _ranked_sets(
    sets: tuple[_SameAnswers, ...],
    orders: tuple[Order, ...],
    where: Filter | None,
    objectives: tuple[tuple[str, Objective], ...],
) -> list[Ranked]:
    """The ranking of these sets, reused while their answers are the very same objects;
    least recently used rankings go first once the memo holds too many candidates."""
    key: MemoKey = (sets, orders, where, objectives)
    with _memo_lock:  # several apps may share the process (tests, threads)
        ranked = _memo.get(key)
        if ranked is not None:
            _memo.move_to_end(key)
            return ranked
    entries = [entry for same in sets for entry in same.set.entries()]
    ranked = _rank(entries, orders, where, dict(objectives))
    global _memo_held
    with _memo_lock:
        if key not in _memo:
            _memo[key], _memo_sizes[key] = ranked, len(entries)
            _memo_held += len(entries)
        while _memo_held > MEMO_CANDIDATES and len(_memo) > 1:
            oldest, _ = _memo.popitem(last=False)
            _memo_held -= _memo_sizes.pop(oldest)
    return ranked
