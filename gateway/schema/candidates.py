"""Candidates: their GraphQL types, their connection, and the one resolver that lists them.

Field names are the camelCase of AWS's member names, so that AWS's documentation reads
across. Each type is a view of the SageMaker structure it shows (see
:mod:`gateway.schema.views`): plain fields read their member when a query selects them, with
no I/O and no resolvers. ``Query.candidates`` and ``AutoMLJob.candidates`` are the
same resolver with the same arguments; on a job, the job name comes from the job.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import strawberry
from strawberry import relay

from gateway.errors import BadUserInput
from gateway.sagemaker.candidates import CandidateQuery
from gateway.sagemaker.entries import metric_value
from gateway.sagemaker.planner import ConnectionPage
from gateway.sagemaker.reports import MAIN_REPORT_KEYS, ReportKind
from gateway.schema.connections import After, Before, Countable, Counts, First, Last, page_info
from gateway.schema.context import Info
from gateway.schema.enums import (
    AutoMLJobObjectiveType,
    AutoMLMetric,
    AutoMLMetricExtended,
    AutoMLProcessingUnit,
    CandidateSortBy,
    CandidateStatus,
    CandidateStepType,
    MetricSetSource,
    ObjectiveStatus,
    SortOrder,
)
from gateway.schema.leaderboards import (
    OrderBy_,
    Where,
    leaderboard_fingerprint,
    to_filter,
    to_orders,
)
from gateway.schema.views import (
    View,
    enum_member,
    member,
    reads,
    time_member,
    view_member,
    views_member,
)
from gateway.shapes import AWS

if TYPE_CHECKING:
    from gateway.schema.jobs import AutoMLJob


def link(what: str, kind: ReportKind) -> str:
    return (
        f"A link to {what} ({MAIN_REPORT_KEYS[kind]} under the prefix): a presigned S3 GET, "
        "valid for the gateway's GATEWAY_ARTIFACT_URL_SECONDS; null when links are off or "
        "there is no such location. Autopilot may not have written every report, so a link "
        "may answer 404."
    )


def candidate_node_id(job_name: str, candidate_name: str) -> str:
    """A candidate's node ID: job names cannot contain ``/``, so the first one separates."""
    return f"{job_name}/{candidate_name}"


def job_and_candidate(node_id: str) -> tuple[str, str]:
    """The job and candidate names of a :func:`candidate_node_id`."""
    job_name, _, candidate_name = node_id.partition("/")
    return job_name, candidate_name


@strawberry.type(description="An environment variable of an inference container.")
class EnvironmentVariable:
    name: str
    value: str


def environment(variables: AWS) -> list[EnvironmentVariable]:
    """A container's environment map as a list, sorted by name."""
    return [
        EnvironmentVariable(name=name, value=value) for name, value in sorted(variables.items())
    ]


@reads(
    image=member("Image"),
    model_data_url=member("ModelDataUrl"),
    environment=member("Environment", environment),
)
@strawberry.type(description="An inference container definition (AutoMLContainerDefinition).")
class Container(View):
    image: str = strawberry.field(description="ECR path of the container image.")
    model_data_url: str = strawberry.field(description="Location of the model artifacts.")
    environment: list[EnvironmentVariable] = strawberry.field(
        description="Environment variables set in the container, sorted by name."
    )


@reads(
    processing_unit=enum_member("ProcessingUnit", AutoMLProcessingUnit),
    containers=views_member("Containers", Container),
)
@strawberry.type(description="The inference containers recommended for one processing unit.")
class ProcessingUnitContainers(View):
    processing_unit: AutoMLProcessingUnit
    containers: list[Container]


def containers_by_unit(definitions: AWS) -> list[ProcessingUnitContainers]:
    """InferenceContainerDefinitions, a map of processing unit to containers, as a list."""
    return [
        ProcessingUnitContainers.of({"ProcessingUnit": unit, "Containers": containers})
        for unit, containers in sorted(definitions.items())
    ]


@reads(
    type=enum_member("Type", AutoMLJobObjectiveType),
    metric_name=enum_member("MetricName", AutoMLMetric),
    value=member("Value"),
    standard_metric_name=enum_member("StandardMetricName", AutoMLMetric),
)
@strawberry.type(
    description="The objective metric a candidate reached (FinalAutoMLJobObjectiveMetric)."
)
class ObjectiveMetric(View):
    type: AutoMLJobObjectiveType | None
    metric_name: AutoMLMetric
    value: float
    standard_metric_name: AutoMLMetric | None


@reads(
    metric_name=enum_member("MetricName", AutoMLMetric),
    standard_metric_name=enum_member("StandardMetricName", AutoMLMetricExtended),
    value=member("Value"),
    set=enum_member("Set", MetricSetSource),
)
@strawberry.type(description="A metric of a candidate on one data split (MetricDatum).")
class Metric(View):
    metric_name: AutoMLMetric | None
    standard_metric_name: AutoMLMetricExtended | None
    value: float | None
    set: MetricSetSource | None


@reads(
    candidate_step_type=enum_member("CandidateStepType", CandidateStepType),
    candidate_step_arn=member("CandidateStepArn"),
    candidate_step_name=member("CandidateStepName"),
)
@strawberry.type(description="A step of a candidate's pipeline (AutoMLCandidateStep).")
class CandidateStep(View):
    candidate_step_type: CandidateStepType
    candidate_step_arn: str
    candidate_step_name: str


@reads(
    explainability=member("Explainability"),
    model_insights=member("ModelInsights"),
    backtest_results=member("BacktestResults"),
)
@strawberry.type(description="S3 prefixes of a candidate's reports (CandidateArtifactLocations).")
class CandidateArtifactLocations(View):
    explainability: str
    model_insights: str | None
    backtest_results: str | None = strawberry.field(description="Only for time-series forecasting.")

    @strawberry.field(description=link("the explainability report", "Explainability"))
    async def explainability_url(self, info: Info) -> str | None:
        return await self._link(info, "Explainability")

    @strawberry.field(description=link("the model insights report", "ModelInsights"))
    async def model_insights_url(self, info: Info) -> str | None:
        return await self._link(info, "ModelInsights")

    @strawberry.field(description=link("the backtest's accuracy metrics", "BacktestResults"))
    async def backtest_results_url(self, info: Info) -> str | None:
        return await self._link(info, "BacktestResults")

    async def _link(self, info: Info, kind: ReportKind) -> str | None:
        return await info.context.autopilot.report_url(self._data.get(kind), kind)


@reads(
    candidate_artifact_locations=view_member(
        "CandidateArtifactLocations", CandidateArtifactLocations
    ),
    candidate_metrics=views_member("CandidateMetrics", Metric),
)
@strawberry.type(description="Artifacts and metrics of a candidate (CandidateProperties).")
class CandidateProperties(View):
    candidate_artifact_locations: CandidateArtifactLocations | None
    candidate_metrics: list[Metric] | None


@reads(
    candidate_name=member("CandidateName"),
    candidate_status=enum_member("CandidateStatus", CandidateStatus),
    objective_status=enum_member("ObjectiveStatus", ObjectiveStatus),
    final_auto_ml_job_objective_metric=view_member(
        "FinalAutoMLJobObjectiveMetric", ObjectiveMetric
    ),
    candidate_steps=views_member("CandidateSteps", CandidateStep),
    inference_containers=views_member("InferenceContainers", Container),
    creation_time=time_member("CreationTime"),
    end_time=time_member("EndTime"),
    last_modified_time=time_member("LastModifiedTime"),
    failure_reason=member("FailureReason"),
    candidate_properties=view_member("CandidateProperties", CandidateProperties),
    inference_container_definitions=member("InferenceContainerDefinitions", containers_by_unit),
)
@strawberry.type(description="A model Autopilot trained for a job, and how it scored.")
class Candidate(View, relay.Node):
    job_name: strawberry.Private[str]
    candidate_name: str
    candidate_status: CandidateStatus
    objective_status: ObjectiveStatus
    final_auto_ml_job_objective_metric: ObjectiveMetric | None = strawberry.field(
        name="finalAutoMLJobObjectiveMetric"
    )
    candidate_steps: list[CandidateStep]
    inference_containers: list[Container] | None
    creation_time: datetime
    end_time: datetime | None
    last_modified_time: datetime
    failure_reason: str | None
    candidate_properties: CandidateProperties | None
    inference_container_definitions: list[ProcessingUnitContainers] | None = strawberry.field(
        description="Containers per processing unit; only for V2 text and image classification."
    )

    @classmethod
    def resolve_id(cls, root: Candidate, *, info: Info) -> str:
        return candidate_node_id(root.job_name, root.candidate_name)

    @strawberry.field(
        description="The candidate's value of a metric on a split, matched on its standard "
        "name (on its name where it has no standard name); null when it has none."
    )
    def metric(
        self,
        name: AutoMLMetricExtended,
        set: MetricSetSource | None = MetricSetSource.VALIDATION,
    ) -> float | None:
        split = set or MetricSetSource.VALIDATION
        if name is AutoMLMetricExtended.UNKNOWN or split is MetricSetSource.UNKNOWN:
            raise BadUserInput("`UNKNOWN` cannot be asked for: name a metric and a split.")
        return metric_value(self._data, name.value, split.value)

    @strawberry.field(description="Whether this candidate is its job's best candidate.")
    async def is_best(self, info: Info) -> bool:
        description = await info.context.autopilot.job(self.job_name)
        best = description.get("BestCandidate") or {}
        return bool(best.get("CandidateName") == self.candidate_name)

    @strawberry.field(description="The AutoML job that trained this candidate.")
    async def job(self, info: Info) -> Annotated[AutoMLJob, strawberry.lazy("gateway.schema.jobs")]:
        from gateway.schema.jobs import AutoMLJob

        return AutoMLJob.from_aws(await info.context.autopilot.job(self.job_name), described=True)

    @classmethod
    def from_aws(cls, data: AWS, job_name: str) -> Candidate:
        """An AutoMLCandidate of ``job_name``'s, read as GraphQL asks for its fields."""
        candidate = cls.of(data)
        candidate.job_name = job_name
        return candidate


@strawberry.type(description="An edge in a connection.")
class CandidateEdge(relay.Edge[Candidate]):
    rank: int = strawberry.field(
        description="The candidate's 1-based place in the order over the filtered set; equal "
        "values share a rank (1, 2, 2, 4). Without `orderBy`, its place in SageMaker's order."
    )


@strawberry.type(description="A page of candidates, in SageMaker's order or the gateway's.")
class CandidateConnection(Countable, relay.Connection[Candidate]):
    edges: list[CandidateEdge] = strawberry.field(  # type: ignore[assignment]
        description="Contains the nodes in this connection"
    )

    @classmethod
    def of(
        cls, page: ConnectionPage[Any], nodes: list[Candidate], paged: Counts
    ) -> CandidateConnection:
        edges = [
            CandidateEdge(cursor=cursor, node=node, rank=rank)
            for (_, cursor), node, rank in zip(page.edges, nodes, page.ranks, strict=True)
        ]
        return cls(edges=edges, page_info=page_info(edges, page), paged=paged)


JobName = Annotated[str, strawberry.argument(description="The AutoML job's name.")]
StatusEquals = Annotated[
    CandidateStatus | None, strawberry.argument(description="Only candidates in this status.")
]
CandidateNameEquals = Annotated[
    str | None, strawberry.argument(description="Only the candidate with this name.")
]
CandidateSort = Annotated[
    CandidateSortBy | None,
    strawberry.argument(description="What SageMaker sorts by; SageMaker's default if unset."),
]
CandidateSortDirection = Annotated[
    SortOrder | None,
    strawberry.argument(description="Sort direction; SageMaker's default if unset."),
]


async def candidates(
    root: object,
    info: Info,
    job_name: JobName,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    status_equals: StatusEquals = None,
    candidate_name_equals: CandidateNameEquals = None,
    sort_by: CandidateSort = None,
    sort_order: CandidateSortDirection = None,
    order_by: OrderBy_ = None,
    where: Where = None,
) -> CandidateConnection:
    """A page of a job's candidates: ``Query.candidates``, and ``AutoMLJob.candidates``
    through :func:`on_the_job`. With ``orderBy`` or ``where`` the gateway orders and filters
    the job's whole set; without them SageMaker pages in its own order."""
    if status_equals is CandidateStatus.UNKNOWN:
        raise BadUserInput("`statusEquals: UNKNOWN` cannot be used as a filter.")
    if order_by and (sort_by or sort_order):
        raise BadUserInput(
            "`orderBy` replaces `sortBy` and `sortOrder` (SageMaker's sort): give one or the other."
        )
    query = CandidateQuery(
        job_name=job_name,
        status_equals=status_equals.value if status_equals else None,
        candidate_name_equals=candidate_name_equals,
        sort_by=sort_by.value if sort_by else None,
        sort_order=sort_order.value if sort_order else None,
    )
    autopilot = info.context.autopilot
    paged: Counts
    if order_by or where:
        orders, kept = to_orders(order_by), to_filter(where)
        job = await autopilot.job_candidates(query)
        objective = job.objective
        paged = autopilot.leaderboard(
            [job],
            orders=orders,
            where=kept,
            objectives={} if objective is None else {job_name: objective},
            fingerprint=leaderboard_fingerprint([job_name], query.fingerprint, orders, kept),
        )
        ranked = paged.page(first=first, after=after, last=last, before=before)
        nodes = [Candidate.from_aws(r.entry.candidate, job_name) for r, _ in ranked.edges]
        return CandidateConnection.of(ranked, nodes, paged)
    paged = autopilot.candidates(query)
    page = await paged.page(first=first, after=after, last=last, before=before)
    nodes = [Candidate.from_aws(item, job_name) for item, _ in page.edges]
    return CandidateConnection.of(page, nodes, paged)


class NamedJob(Protocol):
    @property
    def auto_ml_job_name(self) -> str: ...


Resolver = Callable[..., Awaitable[CandidateConnection]]


def on_the_job(resolver: Resolver) -> Resolver:
    """``resolver`` as a field of a job: the same arguments but ``jobName``, which the job
    gives. Strawberry reads the arguments from the signature, so it is derived, not copied."""
    signature = inspect.signature(resolver)
    parameters = [p for name, p in signature.parameters.items() if name != "job_name"]

    async def of_the_job(root: NamedJob, info: Info, **arguments: Any) -> CandidateConnection:
        return await resolver(root, info, job_name=root.auto_ml_job_name, **arguments)

    of_the_job.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    of_the_job.__annotations__ = {
        name: annotation
        for name, annotation in resolver.__annotations__.items()
        if name != "job_name"
    }
    of_the_job.__module__ = resolver.__module__
    return of_the_job
