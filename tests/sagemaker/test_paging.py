"""The page planner against an in-memory upstream that pages like SageMaker."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.sagemaker.paging import Page, Position, TooManyUpstreamCalls, read_forward


class Upstream:
    """A forward-only list API: opaque tokens, and optionally a token before an empty page."""

    def __init__(self, items: list[int], *, trailing_token: bool = False) -> None:
        self.items = items
        self.trailing_token = trailing_token
        self.calls: list[tuple[str | None, int]] = []

    async def fetch(self, token: str | None, size: int) -> Page[int]:
        self.calls.append((token, size))
        start = 0 if token is None else int(token.removeprefix("t"))
        page = self.items[start : start + size]
        end = start + len(page)
        more = end < len(self.items) or (self.trailing_token and start < len(self.items))
        return Page(page, f"t{end}" if more else None)


def walk(upstream: Upstream, sizes: list[int]) -> tuple[list[int], list[bool]]:
    async def run() -> tuple[list[int], list[bool]]:
        seen: list[int] = []
        has_next: list[bool] = []
        after: Position | None = None
        for size in sizes:
            window = await read_forward(
                upstream.fetch, first=size, after=after, max_page_size=300, max_calls=50
            )
            seen.extend(item for item, _ in window.items)
            has_next.append(window.has_next_page)
            assert window.has_previous_page is (after is not None)
            if window.items:
                after = window.items[-1][1]
            if not window.has_next_page:
                break
        return seen, has_next

    return asyncio.run(run())


@settings(max_examples=200, deadline=None)
@given(
    length=st.integers(0, 700),
    sizes=st.lists(st.integers(1, 400), min_size=1, max_size=40),
    trailing_token=st.booleans(),
)
def test_walking_end_cursors_yields_upstream_order_exactly(
    length: int, sizes: list[int], trailing_token: bool
) -> None:
    items = list(range(length))
    seen, has_next = walk(Upstream(items, trailing_token=trailing_token), sizes)

    assert seen == items[: len(seen)]
    total = 0
    for size, more in zip(sizes, has_next, strict=False):
        total = min(length, total + size)
        assert more is (total < length)


def test_a_page_costs_one_call_when_it_ends_inside_an_upstream_page() -> None:
    upstream = Upstream(list(range(100)))
    seen, has_next = walk(upstream, [10])
    assert seen == list(range(10))
    assert has_next == [True]
    assert upstream.calls == [(None, 11)]


def test_probes_a_trailing_token_so_has_next_page_is_never_a_lie() -> None:
    upstream = Upstream(list(range(300)), trailing_token=True)
    seen, has_next = walk(upstream, [300])
    assert len(seen) == 300
    assert has_next == [False]
    assert upstream.calls == [(None, 300), ("t300", 1)]


def test_first_above_an_upstream_page_reads_several_pages() -> None:
    upstream = Upstream(list(range(1000)))
    seen, _ = walk(upstream, [700])
    assert seen == list(range(700))
    assert [size for _, size in upstream.calls] == [300, 300, 101]


def test_resuming_asks_for_the_cursor_page_again_with_its_own_size() -> None:
    upstream = Upstream(list(range(50)))
    walk(upstream, [5, 20])
    assert upstream.calls[:2] == [(None, 6), (None, 6)]


def test_first_zero_still_tells_whether_anything_follows() -> None:
    for length, expected in [(0, False), (3, True)]:
        seen, has_next = walk(Upstream(list(range(length))), [0])
        assert seen == []
        assert has_next == [expected]


def test_a_runaway_upstream_is_cut_off_with_a_coded_error() -> None:
    async def always_empty(token: str | None, size: int) -> Page[int]:
        return Page([], "again")

    with pytest.raises(TooManyUpstreamCalls) as raised:
        asyncio.run(read_forward(always_empty, first=5, after=None, max_page_size=300, max_calls=4))
    assert raised.value.code == "UPSTREAM_UNAVAILABLE"
