"""The page planner: SageMaker's forward-only ``NextToken`` pages as exact Relay windows.

A :class:`PagedList` is one list query (a job, filters and sort) ready to be paged both ways
and counted; it plans the upstream reads of each page below.

Every item read carries the :class:`Position` it was read at: the token of its upstream
page, the page size asked for, its index in that page and its key (the item's name).
Asking SageMaker for the same token and page size yields the same page again, so a position
is enough to resume right after any item; the key proves the page did not change meanwhile.

Reading forward from a position costs one call per upstream page. Reading backward has no
upstream support, so it is either a forward read of the same listing in reversed order,
where SageMaker can sort it exactly reversed, or a bounded forward walk that keeps the last
items seen. A :class:`CallBudget` bounds every read.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from gateway.errors import BadUserInput, UpstreamUnavailable
from gateway.sagemaker.cursors import CursorCodec, Position

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One upstream response: its items and the token of the page after it, if any."""

    items: Sequence[T]
    next_token: str | None


FetchPage = Callable[[str | None, int], Awaitable[Page[T]]]


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """A SageMaker list operation with fixed arguments, as the planner sees it."""

    fetch: FetchPage[T]
    key: Callable[[T], str]
    max_page_size: int
    fetch_reversed: FetchPage[T] | None = None
    """The same items in exactly reversed order, when SageMaker can sort them so."""
    visible: Callable[[T], bool] | None = None
    """Which items the caller may see; the others are skipped as if absent."""


@dataclass(frozen=True, slots=True)
class Window(Generic[T]):
    """The items of one connection page, in listing order, with exact page info."""

    items: list[tuple[T, Position]]
    has_next_page: bool
    has_previous_page: bool


class TooManyUpstreamCalls(UpstreamUnavailable):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This field needs more than {limit} SageMaker calls; page with `first` and "
            "`after`, ask for a smaller page, or narrow the filters."
        )


class StaleCursor(BadUserInput):
    def __init__(self) -> None:
        super().__init__(
            "The list changed since this cursor was made (its item moved or is gone). "
            "Restart paging without `after` or `before`."
        )


class CallBudget:
    """The upstream calls one field may still spend."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self) -> None:
        if self.spent == self.limit:
            raise TooManyUpstreamCalls(self.limit)
        self.spent += 1


async def _scan(
    listing: Listing[T],
    *,
    reverse: bool,
    start: Position | None,
    page_size: Callable[[], int],
    budget: CallBudget,
) -> AsyncIterator[tuple[T, Position]]:
    """Items after ``start`` (or from the beginning), one upstream page at a time."""
    fetch = listing.fetch_reversed if reverse else listing.fetch
    assert fetch is not None
    if start is None:
        token, size, skip, offset = None, page_size(), 0, 0
    else:
        token, size, skip = start.token, start.page_size, start.index + 1
        offset = start.offset + 1
    while True:
        budget.spend()
        page = await fetch(token, size)
        if start is not None and skip > 0:
            if len(page.items) < skip or listing.key(page.items[skip - 1]) != start.key:
                raise StaleCursor
            start = None
        for index in range(skip, len(page.items)):
            item = page.items[index]
            if listing.visible is None or listing.visible(item):
                yield item, Position(token, size, index, listing.key(item), reverse, offset)
                offset += 1
        if page.next_token is None:
            return
        token, skip, size = page.next_token, 0, page_size()


async def _head(
    listing: Listing[T],
    *,
    reverse: bool,
    start: Position | None,
    count: int,
    stop_key: str | None,
    budget: CallBudget,
) -> tuple[list[tuple[T, Position]], bool]:
    """The first ``count`` items after ``start`` and before ``stop_key``; whether more exist."""
    items: list[tuple[T, Position]] = []

    def page_size() -> int:  # one item more than still wanted, so `more` needs no extra call
        return max(1, min(listing.max_page_size, count - len(items) + 1))

    scan = _scan(listing, reverse=reverse, start=start, page_size=page_size, budget=budget)
    async for item, position in scan:
        if position.key == stop_key:
            return items, False
        if len(items) == count:
            return items, True
        items.append((item, position))
    return items, False


async def _tail(
    listing: Listing[T],
    *,
    start: Position | None,
    count: int,
    until_key: str | None,
    reset_key: str | None,
    reverse: bool = False,
    budget: CallBudget,
) -> tuple[list[tuple[T, Position]], bool]:
    """The last ``count`` items before ``until_key`` (or the end); whether more precede them.

    Items up to ``reset_key`` do not count: they lie before the window's other bound.
    """
    kept: deque[tuple[T, Position]] = deque(maxlen=count + 1)
    found = until_key is None
    scan = _scan(
        listing,
        reverse=reverse,
        start=start,
        page_size=lambda: listing.max_page_size,
        budget=budget,
    )
    async for item, position in scan:
        if position.key == until_key:
            found = True
            break
        if position.key == reset_key:
            kept.clear()
        else:
            kept.append((item, position))
    if not found:
        raise StaleCursor
    more = len(kept) > count
    if more:
        kept.popleft()
    return list(kept), more


async def read_window(
    listing: Listing[T],
    *,
    first: int | None,
    last: int | None,
    after: Position | None,
    before: Position | None,
    budget: CallBudget,
) -> Window[T]:
    """The Relay window: the items between the cursors, then ``first``, then ``last``.

    ``hasNextPage`` is exact when paging forward and ``hasPreviousPage`` when paging
    backward; the other is true exactly when a cursor bounds the window on that side (the
    cursor's own item lies beyond it).
    """
    after_key = after.key if after else None
    before_key = before.key if before else None
    if first is not None or last is None:
        wanted = first or 0
        if after is not None and after.reverse:
            items, more = await _tail(
                listing,
                reverse=True,
                start=None,
                count=wanted,
                until_key=after_key,
                reset_key=before_key,
                budget=budget,
            )
            items.reverse()
        else:
            items, more = await _head(
                listing,
                reverse=False,
                start=after,
                count=wanted,
                stop_key=before_key,
                budget=budget,
            )
        has_next, has_previous = more or before is not None, after is not None
        if last is not None and len(items) > last:
            items, has_previous = items[len(items) - last :], True
        return Window(items, has_next, has_previous)

    read_reversed = listing.fetch_reversed is not None and (before is None or before.reverse)
    if read_reversed:
        items, more = await _head(
            listing,
            reverse=True,
            start=before,
            count=last,
            stop_key=after_key,
            budget=budget,
        )
        items.reverse()
    else:
        items, more = await _tail(
            listing,
            start=after if after is not None and not after.reverse else None,
            count=last,
            until_key=before_key,
            reset_key=after_key,
            budget=budget,
        )
    return Window(items, before is not None, more or after is not None)


async def count_items(listing: Listing[T], budget: CallBudget) -> int:
    """How many items the listing has: a walk with the largest pages."""
    total = 0
    scan = _scan(
        listing,
        reverse=False,
        start=None,
        page_size=lambda: listing.max_page_size,
        budget=budget,
    )
    async for _ in scan:
        total += 1
    return total


@dataclass(frozen=True, slots=True)
class PageLimits:
    default_size: int
    max_size: int
    max_upstream_calls: int


@dataclass(frozen=True, slots=True)
class ConnectionPage(Generic[T]):
    edges: list[tuple[T, str]]
    has_next_page: bool
    has_previous_page: bool
    ranks: list[int] = field(default_factory=list)
    """Each edge's 1-based position in the list's order (SageMaker's, for a paged list)."""


def check_page_size(name: str, value: int | None, limits: PageLimits) -> None:
    if value is not None and not 0 <= value <= limits.max_size:
        raise BadUserInput(f"`{name}` must be between 0 and {limits.max_size}, got {value}.")


@dataclass(frozen=True, slots=True)
class PagedList(Generic[T]):
    """One list query (fixed job, filters and sort), ready to be paged and counted."""

    listing: Listing[T]
    fingerprint: str
    codec: CursorCodec
    limits: PageLimits

    async def page(
        self,
        *,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ConnectionPage[T]:
        check_page_size("first", first, self.limits)
        check_page_size("last", last, self.limits)
        if first is None and last is None:
            first = self.limits.default_size
        window = await read_window(
            self.listing,
            first=first,
            last=last,
            after=self.codec.decode(after, self.fingerprint) if after is not None else None,
            before=self.codec.decode(before, self.fingerprint) if before is not None else None,
            budget=CallBudget(self.limits.max_upstream_calls),
        )
        return ConnectionPage(
            edges=[(item, self.codec.encode(self.fingerprint, pos)) for item, pos in window.items],
            has_next_page=window.has_next_page,
            has_previous_page=window.has_previous_page,
            ranks=[position.offset + 1 for _, position in window.items],
        )

    async def total_count(self) -> int:
        return await count_items(self.listing, CallBudget(self.limits.max_upstream_calls))
