"""Leaderboards SageMaker cannot make: orders by any metric, filters, ranks, across jobs,
comparisons and Pareto fronts. The inputs here become the SageMaker layer's plain
:class:`~gateway.sagemaker.ranking.Order` and :class:`~gateway.sagemaker.filters.Filter`;
the work is done there, on whole candidate sets read once per job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from gateway.errors import BadUserInput, NotFound
from gateway.sagemaker import comparison, ranking
from gateway.sagemaker.candidates import CandidateQuery
from gateway.sagemaker.cursors import fingerprint
from gateway.sagemaker.entries import Objectives
from gateway.sagemaker.filters import Filter
from gateway.sagemaker.filters import MetricCondition as Condition
from gateway.sagemaker.leaderboards import JobCandidates
from gateway.sagemaker.ranking import Direction, Order, OrderBy, canonical
from gateway.schema.connections import After, Before, First, Last
from gateway.schema.context import Info
from gateway.schema.enums import (
    AutoMLMetricExtended,
    CandidateStatus,
    MetricSetSource,
    ObjectiveStatus,
    from_aws,
)
from gateway.shapes import AWS

if TYPE_CHECKING:
    from gateway.schema.candidates import Candidate, CandidateConnection


@strawberry.enum(description="What a leaderboard orders candidates by.")
class CandidateOrderField(Enum):
    METRIC = "METRIC"
    OBJECTIVE = "OBJECTIVE"
    CREATION_TIME = "CREATION_TIME"
    END_TIME = "END_TIME"
    TRAINING_SECONDS = strawberry.enum_value(
        "TRAINING_SECONDS", description="End time minus creation time."
    )
    NAME = "NAME"
    STATUS = "STATUS"


@strawberry.enum(description="An order's direction.")
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input(
    description="One key of a leaderboard's order. Without `direction`, best first: "
    "descending for metrics where higher is better, ascending where lower is better (errors, "
    "losses, latency), the objective by its job's objective type, newest first for times, "
    "shortest first for TRAINING_SECONDS, A to Z for names and statuses. Candidates without "
    "the value come last either way."
)
class CandidateOrder:
    by: CandidateOrderField
    metric: AutoMLMetricExtended | None = strawberry.field(
        default=None, description="The metric, for `by: METRIC`."
    )
    set: MetricSetSource | None = strawberry.field(
        default=MetricSetSource.VALIDATION, description="The split the metric was measured on."
    )
    direction: OrderDirection | None = None


@strawberry.input(
    description="A bound on a metric's value; it never holds for a candidate without the "
    "value. Give at least one bound."
)
class MetricCondition:
    name: AutoMLMetricExtended
    set: MetricSetSource | None = MetricSetSource.VALIDATION
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None


@strawberry.input(
    description="Which candidates a leaderboard keeps. The members given in one filter all "
    "hold; `not` is plain negation (so `not` of a metric condition holds for a candidate "
    "without the value); `nameContains` ignores case."
)
class CandidateFilter:
    and_: list[CandidateFilter] | None = strawberry.field(default=None, name="and")
    or_: list[CandidateFilter] | None = strawberry.field(default=None, name="or")
    not_: CandidateFilter | None = strawberry.field(default=None, name="not")
    status: list[CandidateStatus] | None = None
    objective_status: list[ObjectiveStatus] | None = None
    name_contains: str | None = None
    metric: MetricCondition | None = None


OrderBy_ = Annotated[
    list[CandidateOrder] | None,
    strawberry.argument(
        description="The gateway's order: keys in turn, then the candidate name A to Z."
    ),
]
Where = Annotated[
    CandidateFilter | None, strawberry.argument(description="Only the candidates it keeps.")
]


def _known(value: Enum | None, what: str) -> str:
    """The AWS value of an enum argument; a null split means Validation."""
    if value is None:
        return str(MetricSetSource.VALIDATION.value)
    if value.name == "UNKNOWN":
        raise BadUserInput(f"`{what}: UNKNOWN` cannot be used in an order or a filter.")
    return str(value.value)


def to_order(order: CandidateOrder) -> Order:
    metric = None if order.metric is None else _known(order.metric, "metric")
    direction = None if order.direction is None else Direction(order.direction.value)
    return Order(OrderBy(order.by.value), metric, _known(order.set, "set"), direction)


def to_orders(orders: list[CandidateOrder] | None) -> list[Order]:
    return [to_order(order) for order in orders or []]


def to_filter(where: CandidateFilter | None) -> Filter | None:
    if where is None:
        return None
    condition = where.metric
    return Filter(
        and_=None if where.and_ is None else _filters(where.and_),
        or_=None if where.or_ is None else _filters(where.or_),
        not_=to_filter(where.not_),
        status=None if where.status is None else tuple(_known(s, "status") for s in where.status),
        objective_status=None
        if where.objective_status is None
        else tuple(_known(s, "objectiveStatus") for s in where.objective_status),
        name_contains=where.name_contains,
        metric=None
        if condition is None
        else Condition(
            _known(condition.name, "name"),
            _known(condition.set, "set"),
            condition.gt,
            condition.gte,
            condition.lt,
            condition.lte,
        ),
    )


def _filters(wheres: list[CandidateFilter]) -> tuple[Filter, ...]:
    return tuple(f for f in map(to_filter, wheres) if f is not None)


def leaderboard_fingerprint(
    jobs: list[str], upstream: str, orders: list[Order], where: Filter | None
) -> str:
    """What a leaderboard's cursors are bound to: its jobs, their upstream query, the order and
    the filter."""
    return fingerprint("leaderboard", [jobs, upstream, canonical(orders, where)])


MAX_LEADERBOARD_JOBS = 20


@strawberry.type(description="One metric on one split, for each compared candidate.")
class ComparisonRow:
    metric: AutoMLMetricExtended
    set: MetricSetSource
    values: list[float | None] = strawberry.field(description="In the order of `ids`.")
    best: float | None = strawberry.field(
        description="The highest value, or the lowest for a metric where lower is better."
    )
    deltas: list[float | None] = strawberry.field(description="Each value minus `best`, signed.")

    @classmethod
    def of(cls, row: comparison.ComparisonRow) -> ComparisonRow:
        return cls(
            metric=from_aws(AutoMLMetricExtended, row.metric),
            set=from_aws(MetricSetSource, row.set),
            values=list(row.values),
            best=row.best,
            deltas=list(row.deltas),
        )


@strawberry.type(description="Candidates side by side, from any jobs.")
class CandidateComparison:
    candidates: list[Annotated[Candidate, strawberry.lazy("gateway.schema.candidates")]]
    rows: list[ComparisonRow] = strawberry.field(
        description="One per metric and split that any of the candidates has."
    )


async def job_sets(info: Info, job_names: list[str]) -> dict[str, JobCandidates]:
    """The whole candidate sets of these jobs, read concurrently, once each."""
    autopilot = info.context.autopilot
    unique = list(dict.fromkeys(job_names))
    sets = await asyncio.gather(
        *(autopilot.job_candidates(CandidateQuery(job_name=name)) for name in unique)
    )
    return dict(zip(unique, sets, strict=True))


def objectives_of(sets: Iterable[JobCandidates]) -> Objectives:
    return {s.job_name: objective for s in sets if (objective := s.objective) is not None}


async def leaderboard(
    info: Info,
    job_names: Annotated[
        list[str],
        strawberry.argument(description=f"1 to {MAX_LEADERBOARD_JOBS} jobs, e.g. reruns."),
    ],
    order_by: OrderBy_ = None,
    where: Where = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> Annotated[CandidateConnection, strawberry.lazy("gateway.schema.candidates")]:
    """One ranking across jobs; by default by the objective, best first."""
    from gateway.schema.candidates import Candidate, CandidateConnection

    if not 1 <= len(job_names) <= MAX_LEADERBOARD_JOBS:
        raise BadUserInput(
            f"`jobNames` takes 1 to {MAX_LEADERBOARD_JOBS} jobs; {len(job_names)} were given."
        )
    orders = to_orders(order_by) or [Order(OrderBy.OBJECTIVE)]
    kept = to_filter(where)
    sets = await job_sets(info, job_names)
    objectives = objectives_of(sets.values())
    if any(order.by is OrderBy.OBJECTIVE for order in orders):
        metrics = {o.metric for o in objectives.values()}
        if len(metrics) > 1:
            raise BadUserInput(
                "These jobs optimize different objectives ("
                + ", ".join(sorted(metrics))
                + "): order by a METRIC they share instead of OBJECTIVE."
            )
    board = info.context.autopilot.leaderboard(
        list(sets.values()),
        orders=orders,
        where=kept,
        objectives=objectives,
        fingerprint=leaderboard_fingerprint(list(sets), "all", orders, kept),
    )
    page = board.page(first=first, after=after, last=last, before=before)
    nodes = [Candidate.from_aws(r.entry.candidate, r.entry.job_name) for r, _ in page.edges]
    return CandidateConnection.of(page, nodes, board)


def candidate_of(global_id: str) -> tuple[str, str]:
    """The job and candidate name a Candidate's global ID names."""
    try:
        parsed = relay.GlobalID.from_id(global_id)
    except ValueError:
        parsed = None
    if parsed is None or parsed.type_name != "Candidate" or "/" not in parsed.node_id:
        raise BadUserInput(f"'{global_id[:100]}' is not the ID of a Candidate.")
    from gateway.schema.candidates import job_and_candidate

    return job_and_candidate(parsed.node_id)


async def compare_candidates(
    info: Info,
    ids: Annotated[
        list[strawberry.ID],
        strawberry.argument(
            description=f"{comparison.MIN_COMPARED} to {comparison.MAX_COMPARED} candidate IDs."
        ),
    ],
) -> CandidateComparison:
    """Candidates side by side, in the order given, with every metric any of them has."""
    from gateway.schema.candidates import Candidate

    if not comparison.MIN_COMPARED <= len(ids) <= comparison.MAX_COMPARED:
        raise BadUserInput(
            f"`ids` takes {comparison.MIN_COMPARED} to {comparison.MAX_COMPARED} candidate IDs; "
            f"{len(ids)} were given."
        )
    wanted = [candidate_of(global_id) for global_id in ids]
    sets = await job_sets(info, [job for job, _ in wanted])
    found: list[tuple[str, AWS]] = []
    for job, name in wanted:
        match = next((c for c in sets[job].candidates if c.get("CandidateName") == name), None)
        if match is None:
            raise NotFound(f"No candidate named '{name}' in AutoML job '{job}'.")
        found.append((job, match))
    rows = comparison.compare([candidate for _, candidate in found])
    return CandidateComparison(
        candidates=[Candidate.from_aws(candidate, job) for job, candidate in found],
        rows=[ComparisonRow.of(row) for row in rows],
    )


async def pareto_front(
    info: Info,
    job_name: Annotated[str, strawberry.argument(description="The AutoML job's name.")],
    x: CandidateOrder,
    y: CandidateOrder,
) -> list[Annotated[Candidate, strawberry.lazy("gateway.schema.candidates")]]:
    """The candidates no other candidate beats on both orders (at least as good on both and
    better on one), in ``x`` order; candidates lacking either value are left out."""
    from gateway.schema.candidates import Candidate

    sets = await job_sets(info, [job_name])
    front = ranking.pareto_front(
        sets[job_name].entries(), to_order(x), to_order(y), objectives_of(sets.values())
    )
    return [Candidate.from_aws(entry.candidate, entry.job_name) for entry in front]
