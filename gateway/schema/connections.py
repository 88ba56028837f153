"""Relay connections over SageMaker's paged list operations."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay

from gateway.errors import BadUserInput
from gateway.sagemaker.candidates import CandidateQuery
from gateway.sagemaker.connections import ConnectionPage
from gateway.schema.context import Info
from gateway.schema.enums import CandidateSortBy, CandidateStatus, SortOrder
from gateway.schema.types import Candidate


@strawberry.type(description="A page of an AutoML job's candidates, in SageMaker's order.")
class CandidateConnection(relay.Connection[Candidate]):  # type: ignore[type-var]
    @classmethod
    def from_page(cls, page: ConnectionPage[dict[str, Any]]) -> CandidateConnection:
        edges = [
            relay.Edge[Candidate](cursor=cursor, node=Candidate.from_aws(item))  # type: ignore[type-var]
            for item, cursor in page.edges
        ]
        return cls(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


async def resolve_candidates(
    info: Info,
    job_name: str,
    first: int | None,
    after: str | None,
    status_equals: CandidateStatus | None,
    candidate_name_equals: str | None,
    sort_by: CandidateSortBy | None,
    sort_order: SortOrder | None,
) -> CandidateConnection:
    if status_equals is CandidateStatus.UNKNOWN:
        raise BadUserInput("`statusEquals: UNKNOWN` cannot be used as a filter.")
    query = CandidateQuery(
        job_name=job_name,
        status_equals=status_equals.value if status_equals else None,
        candidate_name_equals=candidate_name_equals,
        sort_by=sort_by.value if sort_by else None,
        sort_order=sort_order.value if sort_order else None,
    )
    page = await info.context.autopilot.candidates(query, first=first, after=after)
    return CandidateConnection.from_page(page)


FIRST = strawberry.argument(
    description="How many candidates to return: 0 up to the gateway's maximum (1000 unless "
    "configured otherwise); the default is 25 unless configured otherwise."
)
AFTER = strawberry.argument(description="Return candidates after this cursor.")
STATUS_EQUALS = strawberry.argument(description="Only candidates in this status.")
CANDIDATE_NAME_EQUALS = strawberry.argument(description="Only the candidate with this name.")
SORT_BY = strawberry.argument(description="What SageMaker sorts by; SageMaker's default if unset.")
SORT_ORDER = strawberry.argument(description="Sort direction; SageMaker's default if unset.")
