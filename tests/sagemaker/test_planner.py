"""The page planner against an in-memory upstream that pages like SageMaker.

The reference is Relay's cursor-connection algorithm applied to a plain list: the items
strictly between the cursors, then `first`, then `last`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.sagemaker.planner import (
    CallBudget,
    Listing,
    Page,
    Position,
    StaleCursor,
    TooManyUpstreamCalls,
    count_items,
    read_window,
)


@dataclass
class Upstream:
    """A forward-only list API with opaque tokens; optionally a token before an empty page."""

    items: list[str]
    trailing_token: bool = False
    calls: list[tuple[bool, str | None, int]] = field(default_factory=list)

    def _fetch(self, items: list[str], reverse: bool, token: str | None, size: int) -> Page[str]:
        self.calls.append((reverse, token, size))
        start = 0 if token is None else int(token.split(":")[1])
        page = items[start : start + size]
        end = start + len(page)
        more = end < len(items) or (self.trailing_token and start < len(items))
        return Page(page, f"{'r' if reverse else 'f'}:{end}" if more else None)

    async def forward(self, token: str | None, size: int) -> Page[str]:
        return self._fetch(self.items, False, token, size)

    async def backward(self, token: str | None, size: int) -> Page[str]:
        return self._fetch(self.items[::-1], True, token, size)

    def listing(self, *, reversible: bool) -> Listing[str]:
        return Listing(
            fetch=self.forward,
            key=lambda item: item,
            max_page_size=300,
            fetch_reversed=self.backward if reversible else None,
        )


def window(
    upstream: Upstream,
    *,
    reversible: bool = False,
    first: int | None = None,
    last: int | None = None,
    after: Position | None = None,
    before: Position | None = None,
    budget: int = 50,
) -> tuple[list[str], bool, bool, list[Position]]:
    result = asyncio.run(
        read_window(
            upstream.listing(reversible=reversible),
            first=first,
            last=last,
            after=after,
            before=before,
            budget=CallBudget(budget),
        )
    )
    items = [item for item, _ in result.items]
    positions = [position for _, position in result.items]
    assert [p.key for p in positions] == items
    return items, result.has_next_page, result.has_previous_page, positions


def reference(
    items: list[str],
    *,
    first: int | None,
    last: int | None,
    after: str | None,
    before: str | None,
) -> tuple[list[str], bool, bool]:
    low = items.index(after) + 1 if after else 0
    high = items.index(before) if before else len(items)
    between = items[low:high]
    if first is not None or last is None:
        page = between[: first or 0]
        has_next = len(between) > len(page) or before is not None
        has_previous = after is not None
        if last is not None and len(page) > last:
            page, has_previous = page[len(page) - last :], True
        return page, has_next, has_previous
    page = between[max(0, len(between) - last) :] if last else []
    return page, before is not None, len(between) > last or after is not None


Move = tuple[str, int, int, int]


@settings(max_examples=300, deadline=None)
@given(
    length=st.integers(0, 700),
    reversible=st.booleans(),
    trailing_token=st.booleans(),
    moves=st.lists(
        st.tuples(
            st.sampled_from(["first", "last", "both"]),
            st.integers(0, 350),
            st.integers(0, 10_000),
            st.integers(0, 10_000),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_every_window_equals_the_reference_slice(
    length: int, reversible: bool, trailing_token: bool, moves: list[Move]
) -> None:
    items = [f"k{i:03}" for i in range(length)]
    upstream = Upstream(items, trailing_token=trailing_token)
    seen: list[Position] = []
    for kind, size, after_pick, before_pick in moves:
        after = seen[after_pick % len(seen)] if seen and after_pick % 3 else None
        before = seen[before_pick % len(seen)] if seen and before_pick % 3 else None
        if after and before and items.index(after.key) >= items.index(before.key):
            before = None
        first = size if kind in ("first", "both") else None
        last = (size // 2 if kind == "both" else size) if kind != "first" else None

        got, has_next, has_previous, positions = window(
            upstream,
            reversible=reversible,
            first=first,
            last=last,
            after=after,
            before=before,
        )
        expected = reference(
            items,
            first=first,
            last=last,
            after=after.key if after else None,
            before=before.key if before else None,
        )
        assert (got, has_next, has_previous) == expected
        seen.extend(positions)


def walk_forward(upstream: Upstream, sizes: list[int]) -> list[str]:
    seen: list[str] = []
    after = None
    for size in sizes:
        items, has_next, _, positions = window(upstream, first=size, after=after)
        seen.extend(items)
        if not has_next:
            break
        after = positions[-1]
    return seen


def test_a_page_costs_one_call_when_it_ends_inside_an_upstream_page() -> None:
    upstream = Upstream([f"k{i}" for i in range(100)])
    assert window(upstream, first=10)[1] is True
    assert upstream.calls == [(False, None, 11)]


def test_probes_a_trailing_token_so_has_next_page_is_never_a_lie() -> None:
    upstream = Upstream([f"k{i}" for i in range(300)], trailing_token=True)
    items, has_next, _, _ = window(upstream, first=300)
    assert len(items) == 300
    assert has_next is False
    assert upstream.calls == [(False, None, 300), (False, "f:300", 1)]


def test_first_above_an_upstream_page_reads_several_pages() -> None:
    upstream = Upstream([f"k{i}" for i in range(1000)])
    assert len(walk_forward(upstream, [700])) == 700
    assert [size for _, _, size in upstream.calls] == [300, 300, 101]


def test_resuming_asks_for_the_cursor_page_again_with_its_own_size() -> None:
    upstream = Upstream([f"k{i}" for i in range(50)])
    walk_forward(upstream, [5, 20])
    assert upstream.calls[:2] == [(False, None, 6), (False, None, 6)]


def test_last_without_before_reads_the_reversed_listing_when_there_is_one() -> None:
    upstream = Upstream([f"k{i:03}" for i in range(250)])
    items, _, has_previous, positions = window(upstream, reversible=True, last=10)
    assert items == [f"k{i:03}" for i in range(240, 250)]
    assert has_previous is True
    assert upstream.calls == [(True, None, 11)]
    assert all(position.reverse for position in positions)


def test_last_without_a_reversed_listing_walks_forward_with_the_largest_pages() -> None:
    upstream = Upstream([f"k{i:03}" for i in range(250)])
    items, _, _, positions = window(upstream, last=10)
    assert items == [f"k{i:03}" for i in range(240, 250)]
    assert upstream.calls == [(False, None, 300)]

    upstream.calls.clear()
    before = positions[0]
    items, has_next, has_previous, _ = window(upstream, last=10, before=before)
    assert items == [f"k{i:03}" for i in range(230, 240)]
    assert (has_next, has_previous) == (True, True)
    assert upstream.calls == [(False, None, 300)]


def test_a_cursor_whose_item_moved_is_stale() -> None:
    upstream = Upstream([f"k{i}" for i in range(20)])
    _, _, _, positions = window(upstream, first=5)
    upstream.items.insert(0, "new")
    with pytest.raises(StaleCursor):
        window(upstream, first=5, after=positions[2])
    with pytest.raises(StaleCursor):
        window(upstream, last=5, before=Position(None, 6, 3, "gone"))


def test_first_zero_still_tells_whether_anything_follows() -> None:
    for length, expected in [(0, False), (3, True)]:
        items, has_next, _, _ = window(Upstream([f"k{i}" for i in range(length)]), first=0)
        assert items == []
        assert has_next is expected


def test_a_runaway_upstream_is_cut_off_with_a_coded_error() -> None:
    async def always_empty(token: str | None, size: int) -> Page[str]:
        return Page([], "again")

    listing = Listing(fetch=always_empty, key=lambda item: item, max_page_size=300)
    with pytest.raises(TooManyUpstreamCalls) as raised:
        asyncio.run(
            read_window(listing, first=5, last=None, after=None, before=None, budget=CallBudget(4))
        )
    assert raised.value.code == "UPSTREAM_UNAVAILABLE"


def test_counting_reads_the_whole_listing_in_the_largest_pages() -> None:
    upstream = Upstream([f"k{i}" for i in range(650)], trailing_token=True)
    listing = upstream.listing(reversible=False)
    assert asyncio.run(count_items(listing, CallBudget(10))) == 650
    assert [size for _, _, size in upstream.calls] == [300, 300, 300, 300]  # last one empty
