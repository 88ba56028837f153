"""Paging a leaderboard the gateway ordered: Relay's windows over the ranked list, cursors that
point at candidates, and stale cursors when a candidate moved or is gone."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.sagemaker.cursors import CursorCodec, InvalidCursor, Position, fingerprint
from gateway.sagemaker.entries import Entry, Objectives
from gateway.sagemaker.filters import Filter, MetricCondition
from gateway.sagemaker.leaderboards import JobCandidates, Leaderboard
from gateway.sagemaker.planner import PageLimits, StaleCursor
from gateway.sagemaker.ranking import Order, OrderBy, order_and_rank, order_entries, rank_entries
from tests.sagemaker.leaderboard_data import ENTRIES, candidate
from tests.sagemaker.test_ranking import OBJECTIVES
from tests.sagemaker.test_ranking import orders as ranking_orders

CODEC = CursorCodec(b"leaderboard tests")
LIMITS = PageLimits(default_size=25, max_size=1000, max_upstream_calls=20)
BY_F1 = (Order(OrderBy.METRIC, metric="F1"),)
QUERY = fingerprint("leaderboard", ["job", "F1"])


def entries(values: list[float | None], job: str = "job") -> list[Entry]:
    return [
        Entry(job, candidate(f"c-{i:03d}", metrics={} if v is None else {"F1": v}))
        for i, v in enumerate(values)
    ]


def board(items: list[Entry], orders: tuple[Order, ...] = BY_F1, **options: object) -> Leaderboard:
    return Leaderboard.of(
        items,
        orders=orders,
        where=options.get("where"),  # type: ignore[arg-type]
        objectives={},
        fingerprint=QUERY,
        codec=CODEC,
        limits=LIMITS,
    )


def names(page: object) -> list[str]:
    return [item.entry.candidate["CandidateName"] for item, _ in page.edges]  # type: ignore[attr-defined]


def test_ranks_share_equal_values_and_page_three_of_25_starts_at_51() -> None:
    values = [0.9, 0.8, 0.8, 0.7] + [0.5 - i / 1000 for i in range(96)]
    leaderboard = board(entries(values))
    first = leaderboard.page(first=4)
    assert [item.rank for item, _ in first.edges] == [1, 2, 2, 4]
    cursor = None
    for _ in range(3):
        page = leaderboard.page(first=25, after=cursor)
        cursor = page.edges[-1][1]
    assert [item.rank for item, _ in page.edges] == list(range(51, 76))
    assert page.has_next_page and page.has_previous_page


def test_without_orders_the_rank_is_the_position_in_the_given_order() -> None:
    leaderboard = board(entries([0.1, 0.9, None]), orders=())
    page = leaderboard.page()
    assert names(page) == ["c-000", "c-001", "c-002"]
    assert [item.rank for item, _ in page.edges] == [1, 2, 3]


def test_a_filter_ranks_within_what_it_keeps() -> None:
    where = Filter(metric=MetricCondition("F1", gte=0.5))
    page = board(entries([0.4, 0.9, 0.6, None]), where=where).page()
    assert names(page) == ["c-001", "c-002"]
    assert [item.rank for item, _ in page.edges] == [1, 2]
    assert asyncio.run(board(entries([0.4, 0.9]), where=where).total_count()) == 1


def test_paging_goes_on_while_candidates_are_added() -> None:
    before = board(entries([0.9, 0.8, 0.7, 0.6]))
    cursor = before.page(first=2).edges[-1][1]  # after c-001 (0.8)
    grown = [*entries([0.9, 0.8, 0.7, 0.6]), Entry("job", candidate("c-new", metrics={"F1": 0.95}))]
    assert names(board(grown).page(first=2, after=cursor)) == ["c-002", "c-003"]


def test_a_cursor_whose_candidate_moved_or_is_gone_is_stale() -> None:
    cursor = board(entries([0.9, 0.8, 0.7])).page(first=2).edges[-1][1]
    moved = entries([0.9, 0.85, 0.7])
    with pytest.raises(StaleCursor, match="changed since this cursor was made"):
        board(moved).page(after=cursor)
    gone = entries([0.9])
    with pytest.raises(StaleCursor):
        board(gone).page(before=cursor)


def test_a_cursor_of_another_order_or_kind_is_refused() -> None:
    cursor = board(entries([0.9, 0.8])).page(first=1).edges[0][1]
    other = Leaderboard.of(
        entries([0.9, 0.8]),
        orders=(Order(OrderBy.NAME),),
        where=None,
        objectives={},
        fingerprint=fingerprint("leaderboard", ["job", "NAME"]),
        codec=CODEC,
        limits=LIMITS,
    )
    with pytest.raises(InvalidCursor, match="different job, filter or sort"):
        other.page(after=cursor)
    with pytest.raises(InvalidCursor, match="not one this gateway made"):
        board(entries([0.9])).page(after=CODEC.encode(QUERY, Position(None, 10, 0, "c-000")))


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.sampled_from([0.1, 0.5, 0.9])), max_size=12),
    first=st.one_of(st.none(), st.integers(0, 13)),
    last=st.one_of(st.none(), st.integers(0, 13)),
    data=st.data(),
)
def test_every_window_is_relays_slice_of_the_ordered_list(
    values: list[float | None], first: int | None, last: int | None, data: st.DataObject
) -> None:
    leaderboard = board(entries(values))
    everything = leaderboard.page(first=len(values))
    cursors = [cursor for _, cursor in everything.edges]
    ordered = names(everything)
    n = len(ordered)
    after = data.draw(st.one_of(st.none(), st.integers(0, n - 1))) if n else None
    before = data.draw(st.one_of(st.none(), st.integers(0, n - 1))) if n else None
    page = leaderboard.page(
        first=first,
        last=last,
        after=None if after is None else cursors[after],
        before=None if before is None else cursors[before],
    )
    # Relay's algorithm: between the cursors, then `first`, then `last`.
    start = 0 if after is None else after + 1
    stop = n if before is None else max(start, before)
    if first is None and last is None:
        first = LIMITS.default_size
    if first is not None:
        stop = min(stop, start + first)
    if last is not None:
        start = max(start, stop - last)
    assert names(page) == ordered[start:stop]
    assert page.has_next_page == (stop < n)
    assert page.has_previous_page == (start > 0)


@settings(max_examples=120, deadline=None)
@given(ENTRIES, st.lists(ranking_orders(), max_size=3), OBJECTIVES)
def test_one_pass_orders_and_ranks_as_the_two_functions_do(
    entries: list[Entry], orders: list[Order], objectives: Objectives
) -> None:
    ordered, ranks = order_and_rank(entries, orders, objectives)
    assert ordered == order_entries(entries, orders, objectives)
    assert ranks == rank_entries(ordered, orders, objectives)


def test_a_leaderboard_of_the_same_cached_answers_is_ordered_once() -> None:
    answers = ({"Candidates": [candidate(f"c-{i}", metrics={"F1": i / 10}) for i in range(5)]},)
    job = JobCandidates("job", {}, list(answers[0]["Candidates"]), answers)
    first = Leaderboard.of_sets([job], **SET_OPTIONS)
    again = Leaderboard.of_sets([JobCandidates("job", {}, job.candidates, answers)], **SET_OPTIONS)
    assert again.ranked is first.ranked  # the very same answers: reused
    changed = ({"Candidates": [*answers[0]["Candidates"], candidate("c-new", metrics={"F1": 1})]},)
    grown = JobCandidates("job", {}, changed[0]["Candidates"], changed)
    fresh = Leaderboard.of_sets([grown], **SET_OPTIONS)
    assert fresh.ranked is not first.ranked
    assert fresh.ranked[0].entry.candidate["CandidateName"] == "c-new"


SET_OPTIONS: dict[str, object] = {
    "orders": BY_F1,
    "where": None,
    "objectives": {},
    "fingerprint": QUERY,
    "codec": CODEC,
    "limits": LIMITS,
}
