"""The root Subscription type: a running job's changes, pushed as the gateway's poller sees them.

Both subscriptions are authorized exactly like ``candidates`` (a job the caller may not see
is ``NOT_FOUND``), then share the job's one poller (:mod:`gateway.sagemaker.live`). They end
when the job finishes, or with ``UNAUTHENTICATED`` when the caller's token expires. A job the
cached read shows finished is answered from the cache, as a query would be, without a poller
(which would read SageMaker afresh for every such subscription).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack, aclosing
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated

import strawberry
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from strawberry.schema.schema import StreamResult

from gateway.errors import CredentialsExpired, InternalError
from gateway.sagemaker.candidates import CandidateQuery
from gateway.sagemaker.changes import (
    Change,
    final_change,
    has_finished,
    is_finished,
    leaderboard_state,
)
from gateway.sagemaker.leaderboards import JobCandidates
from gateway.sagemaker.live import Feed, Update
from gateway.sagemaker.planner import check_page_size
from gateway.sagemaker.ranking import Order, OrderBy
from gateway.schema.candidates import Candidate, CandidateConnection, JobName
from gateway.schema.context import Info, Live
from gateway.schema.jobs import AutoMLJob
from gateway.schema.leaderboards import (
    OrderBy_,
    Where,
    leaderboard_fingerprint,
    objectives_of,
    to_filter,
    to_orders,
)

EXPIRED = "The token has expired; subscribe again with a new one."


@strawberry.enum(description="What happened to a job or one of its candidates.")
class CandidateEventKind(Enum):
    ADDED = strawberry.enum_value("ADDED", description="A new candidate.")
    STATUS_CHANGED = strawberry.enum_value(
        "STATUS_CHANGED", description="A candidate's `candidateStatus` changed."
    )
    NEW_BEST = strawberry.enum_value(
        "NEW_BEST", description="The job's `bestCandidate` is another candidate."
    )
    JOB_STATUS_CHANGED = strawberry.enum_value(
        "JOB_STATUS_CHANGED",
        description="The job's `autoMLJobStatus` or `autoMLJobSecondaryStatus` changed.",
    )


@strawberry.type(description="One change of a running AutoML job.")
class CandidateEvent:
    kind: CandidateEventKind
    candidate: Candidate | None = strawberry.field(
        description="The candidate it is about; null for JOB_STATUS_CHANGED."
    )
    job: AutoMLJob = strawberry.field(description="The job, as read when the change was seen.")
    at: datetime = strawberry.field(description="When the gateway saw the change.")

    @classmethod
    def of(cls, change: Change, job_name: str) -> CandidateEvent:
        return cls(
            kind=CandidateEventKind(change.kind.value),
            candidate=None
            if change.candidate is None
            else Candidate.from_aws(change.candidate, job_name),
            job=AutoMLJob.from_aws(change.job, described=True),
            at=change.at,
        )


def _live(info: Info) -> Live:
    live = info.context.live
    if live is None:  # the view gives every subscription its live context
        raise InternalError("Subscriptions are not available here.")
    if live.expires_at is not None and live.expires_at <= time.time():
        raise CredentialsExpired(EXPIRED)
    return live


async def _next(live: Live, feed: Feed) -> Update:
    """The feed's next update, unless the caller's token expires first."""
    if live.expires_at is None:
        return await feed.next()
    try:
        async with asyncio.timeout(max(0.0, live.expires_at - time.time())):
            return await feed.next()
    except TimeoutError:
        raise CredentialsExpired(EXPIRED) from None


First = Annotated[
    int | None, strawberry.argument(description="How many of the top candidates each message has.")
]


@strawberry.type
class Subscription:
    @strawberry.subscription(
        name="candidateEvents",
        description="Every change of a job after the subscription starts, in order (the state "
        "before it is what a query gives). Completes after the job's terminal "
        "JOB_STATUS_CHANGED; for a finished job, at once after that one event.",
    )
    async def candidate_events(
        self, info: Info, job_name: JobName
    ) -> AsyncGenerator[CandidateEvent, None]:
        live = _live(info)
        description = await info.context.autopilot.job(job_name)
        if has_finished(description):
            final = final_change(JobCandidates(job_name, description, []), datetime.now(UTC))
            yield CandidateEvent.of(final, job_name)
            return
        async with live.feeds.watch(job_name) as feed:
            if is_finished(feed.baseline):
                yield CandidateEvent.of(final_change(feed.baseline, datetime.now(UTC)), job_name)
                return
            while True:
                update = await _next(live, feed)
                for change in update.changes:
                    autopilot = info.context.autopilot = live.renew()
                    autopilot.known_job(change.job)
                    yield CandidateEvent.of(change, job_name)
                if is_finished(update.snapshot):
                    return

    @strawberry.subscription(
        name="leaderboardUpdates",
        description="The top `first` candidates of a job in `candidates`' `orderBy` (by "
        "default the objective, best first) and `where`, at once, then again whenever they "
        "change (never an identical repeat). Completes after the job finishes.",
    )
    async def leaderboard_updates(
        self,
        info: Info,
        job_name: JobName,
        order_by: OrderBy_ = None,
        where: Where = None,
        first: First = 10,
    ) -> AsyncGenerator[CandidateConnection, None]:
        live = _live(info)
        orders, kept = to_orders(order_by) or [Order(OrderBy.OBJECTIVE)], to_filter(where)
        check_page_size("first", first, info.context.autopilot.limits)
        description = await info.context.autopilot.job(job_name)
        query = CandidateQuery(job_name=job_name)
        fingerprint = leaderboard_fingerprint([job_name], query.fingerprint, orders, kept)
        async with AsyncExitStack() as stack:
            feed: Feed | None = None
            if has_finished(description):
                snapshot = await info.context.autopilot.job_candidates(query)
            else:
                feed = await stack.enter_async_context(live.feeds.watch(job_name))
                snapshot = feed.baseline
            shown = None
            while True:
                autopilot = info.context.autopilot = live.renew()
                autopilot.known_job(snapshot.description)
                board = autopilot.leaderboard(
                    [snapshot],
                    orders=orders,
                    where=kept,
                    objectives=objectives_of([snapshot]),
                    fingerprint=fingerprint,
                )
                page = board.page(first=first)
                state = leaderboard_state(page, len(board.ranked), snapshot)
                if state != shown:
                    shown = state
                    nodes = [Candidate.from_aws(r.entry.candidate, job_name) for r, _ in page.edges]
                    yield CandidateConnection.of(page, nodes, board)
                if feed is None or is_finished(snapshot):
                    return
                snapshot = (await _next(live, feed)).snapshot


REPEAT_FREE_FIELDS = frozenset({"leaderboardUpdates"})


def repeat_free(query: str | None, operation_name: str | None) -> bool:
    """Whether the operation subscribes to leaderboards only: then a message identical to the
    one before (a change outside what the client selected) is not sent at all."""
    if not query or not any(name in query for name in REPEAT_FREE_FIELDS):
        return False
    try:
        document = parse(query)
    except GraphQLError:
        return False  # Strawberry reports it
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and d.operation is OperationType.SUBSCRIPTION
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    if len(operations) != 1:
        return False
    fields = operations[0].selection_set.selections
    return bool(fields) and all(
        isinstance(f, FieldNode) and f.name.value in REPEAT_FREE_FIELDS for f in fields
    )


async def without_repeats(results: StreamResult) -> StreamResult:
    """``results`` less each result whose data equals the previous one's."""
    previous: object = None
    async with aclosing(results):
        async for result in results:
            data = getattr(result, "data", None)
            if data is not None and data == previous and not getattr(result, "errors", None):
                continue
            previous = data
            yield result


__all__ = ["Subscription", "repeat_free", "without_repeats"]
