"""Relay connections over any SageMaker list operation, addressed by signed cursors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.errors import BadUserInput
from gateway.sagemaker.cursors import CursorCodec
from gateway.sagemaker.paging import CallBudget, Listing, count_items, read_window

T = TypeVar("T")


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
        )

    async def total_count(self) -> int:
        return await count_items(self.listing, CallBudget(self.limits.max_upstream_calls))
