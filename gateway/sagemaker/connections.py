"""Connection pages over any SageMaker list operation, addressed by opaque cursors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.errors import BadUserInput
from gateway.sagemaker.cursors import decode_cursor, encode_cursor
from gateway.sagemaker.paging import FetchPage, read_forward

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageLimits:
    default_size: int
    max_size: int
    max_upstream_page_size: int
    max_upstream_calls: int


@dataclass(frozen=True, slots=True)
class ConnectionPage(Generic[T]):
    edges: list[tuple[T, str]]
    has_next_page: bool
    has_previous_page: bool
    upstream_calls: int


def check_first(first: int | None, limits: PageLimits) -> int:
    if first is None:
        return limits.default_size
    if not 0 <= first <= limits.max_size:
        raise BadUserInput(f"`first` must be between 0 and {limits.max_size}, got {first}.")
    return first


async def read_connection(
    fetch: FetchPage[T],
    *,
    query_fingerprint: str,
    first: int | None,
    after: str | None,
    limits: PageLimits,
) -> ConnectionPage[T]:
    """Read one forward page of a connection: ``first`` items after the ``after`` cursor."""
    wanted = check_first(first, limits)
    position = decode_cursor(after, query_fingerprint) if after is not None else None
    window = await read_forward(
        fetch,
        first=wanted,
        after=position,
        max_page_size=limits.max_upstream_page_size,
        max_calls=limits.max_upstream_calls,
    )
    return ConnectionPage(
        edges=[(item, encode_cursor(query_fingerprint, pos)) for item, pos in window.items],
        has_next_page=window.has_next_page,
        has_previous_page=window.has_previous_page,
        upstream_calls=window.upstream_calls,
    )
