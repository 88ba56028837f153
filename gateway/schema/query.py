"""The root Query type."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import strawberry
from strawberry import relay

from gateway.errors import BadUserInput, GatewayError
from gateway.sagemaker.jobs import JobQuery
from gateway.schema.candidates import Candidate, candidates, job_and_candidate
from gateway.schema.connections import After, Before, First, Last, edges_of, page_info
from gateway.schema.context import Info
from gateway.schema.enums import (
    AutoMLJobStatus,
    AutoMLSortBy,
    SortOrder,
)
from gateway.schema.jobs import AutoMLJob, AutoMLJobConnection
from gateway.schema.leaderboards import compare_candidates, leaderboard, pareto_front

MAX_NODE_IDS = 100


def _aware(value: datetime | None) -> datetime | None:
    """Times without a zone are taken as UTC, as the API documents."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


async def _resolve_node(info: Info, global_id: str) -> relay.Node:
    try:
        parsed = relay.GlobalID.from_id(global_id)
    except ValueError:
        raise BadUserInput(f"'{global_id[:100]}' is not a valid node ID.") from None
    autopilot = info.context.autopilot
    if parsed.type_name == "AutoMLJob":
        return AutoMLJob.from_aws(await autopilot.job(parsed.node_id), described=True)
    if parsed.type_name == "Candidate":
        job_name, candidate_name = job_and_candidate(parsed.node_id)
        candidate = await autopilot.candidate(job_name, candidate_name)
        return Candidate.from_aws(candidate, job_name)
    raise BadUserInput(f"'{global_id[:100]}' is not the ID of an AutoMLJob or a Candidate.")


@strawberry.type
class Query:
    @strawberry.field(name="autoMLJob", description="An AutoML job by name.")
    async def auto_ml_job(self, info: Info, name: str) -> AutoMLJob | None:
        return AutoMLJob.from_aws(await info.context.autopilot.job(name), described=True)

    @strawberry.field(name="autoMLJobs", description="AutoML jobs, paged.")
    async def auto_ml_jobs(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status_equals: Annotated[
            AutoMLJobStatus | None, strawberry.argument(description="Only jobs in this status.")
        ] = None,
        name_contains: Annotated[
            str | None,
            strawberry.argument(
                description="Only jobs whose name contains this (up to 63 characters)."
            ),
        ] = None,
        creation_time_after: Annotated[
            datetime | None,
            strawberry.argument(description="Only jobs created after this time (UTC if no zone)."),
        ] = None,
        creation_time_before: Annotated[
            datetime | None, strawberry.argument(description="Only jobs created before this time.")
        ] = None,
        last_modified_time_after: Annotated[
            datetime | None,
            strawberry.argument(description="Only jobs last modified after this time."),
        ] = None,
        last_modified_time_before: Annotated[
            datetime | None,
            strawberry.argument(description="Only jobs last modified before this time."),
        ] = None,
        sort_by: Annotated[
            AutoMLSortBy, strawberry.argument(description="What SageMaker sorts jobs by.")
        ] = AutoMLSortBy.NAME,
        sort_order: Annotated[
            SortOrder, strawberry.argument(description="Sort direction.")
        ] = SortOrder.DESCENDING,
    ) -> AutoMLJobConnection:
        if status_equals is AutoMLJobStatus.UNKNOWN:
            raise BadUserInput("`statusEquals: UNKNOWN` cannot be used as a filter.")
        query = JobQuery(
            status_equals=status_equals.value if status_equals else None,
            name_contains=name_contains,
            creation_time_after=_aware(creation_time_after),
            creation_time_before=_aware(creation_time_before),
            last_modified_time_after=_aware(last_modified_time_after),
            last_modified_time_before=_aware(last_modified_time_before),
            sort_by=sort_by.value,
            sort_order=sort_order.value,
        )
        paged = info.context.autopilot.jobs(query)
        page = await paged.page(first=first, after=after, last=last, before=before)
        edges = edges_of(page, lambda summary: AutoMLJob.from_aws(summary, described=False))
        return AutoMLJobConnection(edges=edges, page_info=page_info(edges, page), paged=paged)

    candidates = strawberry.field(
        resolver=candidates,
        description="The candidates of an AutoML job, paged in SageMaker's order or, with "
        "`orderBy` or `where`, ordered and filtered by the gateway.",
    )
    leaderboard = strawberry.field(
        resolver=leaderboard,
        description="One ranking of the candidates of 1 to 20 jobs (e.g. reruns on the same "
        "data), by default by the objective, best first; the rules of `candidates`' `orderBy`.",
    )
    compare_candidates = strawberry.field(
        resolver=compare_candidates,
        description="2 to 10 candidates of any jobs side by side, in the order given: a row "
        "per metric and split any of them has, with the best value and each one's delta.",
    )
    pareto_front = strawberry.field(
        resolver=pareto_front,
        description="The candidates no other candidate beats on both orders (at least as good "
        "on both, better on one), in `x` order; those lacking either value are left out. For "
        "example F1 against InferenceLatency.",
    )

    @strawberry.field(description="An AutoMLJob or Candidate by its global ID.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return await _resolve_node(info, id)

    @strawberry.field(
        description=f"AutoMLJobs and Candidates by global ID (at most {MAX_NODE_IDS}), in the "
        "order given; an ID that names nothing is null, with a NOT_FOUND error at its index."
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > MAX_NODE_IDS:
            raise BadUserInput(f"`ids` may hold at most {MAX_NODE_IDS} IDs, got {len(ids)}.")
        resolved = await asyncio.gather(
            *(_resolve_node(info, global_id) for global_id in ids), return_exceptions=True
        )
        for result in resolved:
            if isinstance(result, BaseException) and not isinstance(result, GatewayError):
                raise result
        # A GatewayError in the list becomes null with that error at its index.
        return resolved  # type: ignore[return-value]
