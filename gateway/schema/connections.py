"""Relay connections over SageMaker's paged list operations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Protocol, TypeVar

import strawberry
from strawberry import relay

from gateway.sagemaker.planner import ConnectionPage
from gateway.shapes import AWS

N = TypeVar("N", bound=relay.Node)

FIRST = strawberry.argument(
    description="Return the first n items (after `after`): 0 to the gateway's maximum "
    "page size. Without `first` and `last`, the gateway's default page size applies."
)
AFTER = strawberry.argument(description="Return items after this cursor.")
LAST = strawberry.argument(
    description="Return the last n items (before `before`): 0 to the gateway's maximum."
)
BEFORE = strawberry.argument(description="Return items before this cursor.")

First = Annotated[int | None, FIRST]
After = Annotated[str | None, AFTER]
Last = Annotated[int | None, LAST]
Before = Annotated[str | None, BEFORE]

TOTAL_COUNT = (
    "How many items match the filters, exactly. Counting reads the whole list, one "
    "SageMaker call per page of it, so select it only when needed."
)


def page_info(edges: Sequence[relay.Edge[Any]], page: ConnectionPage[Any]) -> relay.PageInfo:
    return relay.PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


def edges_of(page: ConnectionPage[AWS], node: Callable[[AWS], N]) -> list[relay.Edge[N]]:
    return [relay.Edge(cursor=cursor, node=node(item)) for item, cursor in page.edges]


class Counts(Protocol):
    """A list a connection pages: SageMaker's, or a leaderboard the gateway ordered."""

    async def total_count(self) -> int: ...


@strawberry.type
class Countable:
    """A connection whose ``totalCount`` is counted only when a query selects it."""

    paged: strawberry.Private[Counts]

    @strawberry.field(description=TOTAL_COUNT)
    async def total_count(self) -> int:
        return await self.paged.total_count()
