"""Leaderboards SageMaker cannot make: orders by any metric, filters, ranks, across jobs,
comparisons and Pareto fronts. The inputs here become the SageMaker layer's plain
:class:`~gateway.sagemaker.ranking.Order` and :class:`~gateway.sagemaker.filters.Filter`;
the work is done there, on whole candidate sets read once per job.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from gateway.errors import BadUserInput
from gateway.sagemaker.cursors import fingerprint
from gateway.sagemaker.filters import Filter
from gateway.sagemaker.filters import MetricCondition as Condition
from gateway.sagemaker.ranking import Direction, Order, OrderBy, canonical
from gateway.schema.enums import (
    AutoMLMetricExtended,
    CandidateStatus,
    MetricSetSource,
    ObjectiveStatus,
)


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
