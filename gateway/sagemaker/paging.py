"""Turns SageMaker's forward-only ``NextToken`` pages into exact Relay-style windows.

Every item read carries the :class:`Position` it was read at: the token of its upstream
page, the page size asked for, and its index in that page. Asking SageMaker for the same
token and page size again yields the same page, so a position is enough to resume right
after any item, whatever page size the next request wants.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.errors import UpstreamUnavailable

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One upstream response: its items and the token of the page after it, if any."""

    items: Sequence[T]
    next_token: str | None


@dataclass(frozen=True, slots=True)
class Position:
    """Where an item was read upstream."""

    token: str | None
    page_size: int
    index: int


@dataclass(frozen=True, slots=True)
class Window(Generic[T]):
    """The items of one connection page with their positions and exact page info."""

    items: list[tuple[T, Position]]
    has_next_page: bool
    has_previous_page: bool
    upstream_calls: int


FetchPage = Callable[[str | None, int], Awaitable[Page[T]]]


class TooManyUpstreamCalls(UpstreamUnavailable):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This page needs more than {limit} SageMaker calls; ask for a smaller page."
        )


def page_size_for(wanted: int, max_page_size: int) -> int:
    """Ask for one item more than wanted, so that ``hasNextPage`` needs no extra call."""
    return max(1, min(max_page_size, wanted + 1))


async def read_forward(
    fetch: FetchPage[T],
    *,
    first: int,
    after: Position | None,
    max_page_size: int,
    max_calls: int,
) -> Window[T]:
    """Read ``first`` items after ``after`` (or from the start), and whether more follow.

    ``hasNextPage`` is exact: when the wanted items end exactly where an upstream page
    ends and SageMaker still hands out a token, the next page is probed for one item,
    because SageMaker may return a token that leads to an empty page.
    """
    if after is None:
        token, page_size, skip = None, page_size_for(first, max_page_size), 0
    else:
        token, page_size, skip = after.token, after.page_size, after.index + 1

    items: list[tuple[T, Position]] = []
    calls = 0
    while True:
        if calls == max_calls:
            raise TooManyUpstreamCalls(max_calls)
        page = await fetch(token, page_size)
        calls += 1
        for index in range(skip, len(page.items)):
            if len(items) == first:
                return Window(items, True, after is not None, calls)
            items.append((page.items[index], Position(token, page_size, index)))
        if page.next_token is None:
            return Window(items, False, after is not None, calls)
        token, skip = page.next_token, 0
        page_size = page_size_for(first - len(items), max_page_size)
