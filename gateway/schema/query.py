"""The root Query type."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.schema.connections import (
    AFTER,
    CANDIDATE_NAME_EQUALS,
    FIRST,
    SORT_BY,
    SORT_ORDER,
    STATUS_EQUALS,
    CandidateConnection,
    resolve_candidates,
)
from gateway.schema.context import Info
from gateway.schema.enums import CandidateSortBy, CandidateStatus, SortOrder
from gateway.schema.jobs import AutoMLJob


@strawberry.type
class Query:
    @strawberry.field(name="autoMLJob", description="An AutoML job by name.")
    async def auto_ml_job(self, info: Info, name: str) -> AutoMLJob | None:
        return AutoMLJob.from_aws(await info.context.autopilot.job(name))

    @strawberry.field(description="The candidates of an AutoML job, paged.")
    async def candidates(
        self,
        info: Info,
        job_name: Annotated[str, strawberry.argument(description="The AutoML job's name.")],
        first: Annotated[int | None, FIRST] = None,
        after: Annotated[str | None, AFTER] = None,
        status_equals: Annotated[CandidateStatus | None, STATUS_EQUALS] = None,
        candidate_name_equals: Annotated[str | None, CANDIDATE_NAME_EQUALS] = None,
        sort_by: Annotated[CandidateSortBy | None, SORT_BY] = None,
        sort_order: Annotated[SortOrder | None, SORT_ORDER] = None,
    ) -> CandidateConnection:
        return await resolve_candidates(
            info,
            job_name,
            first,
            after,
            status_equals,
            candidate_name_equals,
            sort_by,
            sort_order,
        )
