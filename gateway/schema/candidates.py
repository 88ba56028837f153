"""Candidates: their GraphQL types, their connection, and the one resolver that lists them.

Field names are the camelCase of AWS's member names, so that AWS's documentation reads
across. Mapping is plain data in, plain objects out: no I/O, no per-field resolvers for
what a response already holds. ``Query.candidates`` and ``AutoMLJob.candidates`` are the
same resolver with the same arguments; on a job, the job name comes from the job.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

import strawberry
from strawberry import relay

from gateway.errors import BadUserInput
from gateway.sagemaker.candidates import CandidateQuery
from gateway.schema.connections import After, Before, Countable, First, Last, edges_of, page_info
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
    from_aws,
    optional_from_aws,
)
from gateway.shapes import AWS


def candidate_node_id(job_name: str, candidate_name: str) -> str:
    """A candidate's node ID: job names cannot contain ``/``, so the first one separates."""
    return f"{job_name}/{candidate_name}"


def utc(value: datetime) -> datetime:
    """Timestamps in UTC whatever the host's zone, so responses are the same everywhere."""
    return value.astimezone(UTC)


def optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


@strawberry.type(description="An environment variable of an inference container.")
class EnvironmentVariable:
    name: str
    value: str


@strawberry.type(description="An inference container definition (AutoMLContainerDefinition).")
class Container:
    image: str = strawberry.field(description="ECR path of the container image.")
    model_data_url: str = strawberry.field(description="Location of the model artifacts.")
    environment: list[EnvironmentVariable] = strawberry.field(
        description="Environment variables set in the container, sorted by name."
    )

    @classmethod
    def from_aws(cls, data: AWS) -> Container:
        return cls(
            image=data["Image"],
            model_data_url=data["ModelDataUrl"],
            environment=[
                EnvironmentVariable(name=name, value=value)
                for name, value in sorted(data.get("Environment", {}).items())
            ],
        )


@strawberry.type(description="The inference containers recommended for one processing unit.")
class ProcessingUnitContainers:
    processing_unit: AutoMLProcessingUnit
    containers: list[Container]


@strawberry.type(
    description="The objective metric a candidate reached (FinalAutoMLJobObjectiveMetric)."
)
class ObjectiveMetric:
    type: AutoMLJobObjectiveType | None
    metric_name: AutoMLMetric
    value: float
    standard_metric_name: AutoMLMetric | None

    @classmethod
    def from_aws(cls, data: AWS) -> ObjectiveMetric:
        return cls(
            type=optional_from_aws(AutoMLJobObjectiveType, data.get("Type")),
            metric_name=from_aws(AutoMLMetric, data["MetricName"]),
            value=data["Value"],
            standard_metric_name=optional_from_aws(AutoMLMetric, data.get("StandardMetricName")),
        )


@strawberry.type(description="A metric of a candidate on one data split (MetricDatum).")
class Metric:
    metric_name: AutoMLMetric | None
    standard_metric_name: AutoMLMetricExtended | None
    value: float | None
    set: MetricSetSource | None

    @classmethod
    def from_aws(cls, data: AWS) -> Metric:
        return cls(
            metric_name=optional_from_aws(AutoMLMetric, data.get("MetricName")),
            standard_metric_name=optional_from_aws(
                AutoMLMetricExtended, data.get("StandardMetricName")
            ),
            value=data.get("Value"),
            set=optional_from_aws(MetricSetSource, data.get("Set")),
        )


@strawberry.type(description="A step of a candidate's pipeline (AutoMLCandidateStep).")
class CandidateStep:
    candidate_step_type: CandidateStepType
    candidate_step_arn: str
    candidate_step_name: str

    @classmethod
    def from_aws(cls, data: AWS) -> CandidateStep:
        return cls(
            candidate_step_type=from_aws(CandidateStepType, data["CandidateStepType"]),
            candidate_step_arn=data["CandidateStepArn"],
            candidate_step_name=data["CandidateStepName"],
        )


@strawberry.type(description="S3 prefixes of a candidate's reports (CandidateArtifactLocations).")
class CandidateArtifactLocations:
    explainability: str
    model_insights: str | None
    backtest_results: str | None = strawberry.field(description="Only for time-series forecasting.")

    @classmethod
    def from_aws(cls, data: AWS) -> CandidateArtifactLocations:
        return cls(
            explainability=data["Explainability"],
            model_insights=data.get("ModelInsights"),
            backtest_results=data.get("BacktestResults"),
        )


@strawberry.type(description="Artifacts and metrics of a candidate (CandidateProperties).")
class CandidateProperties:
    candidate_artifact_locations: CandidateArtifactLocations | None
    candidate_metrics: list[Metric] | None

    @classmethod
    def from_aws(cls, data: AWS) -> CandidateProperties:
        locations = data.get("CandidateArtifactLocations")
        metrics = data.get("CandidateMetrics")
        return cls(
            candidate_artifact_locations=(
                CandidateArtifactLocations.from_aws(locations) if locations else None
            ),
            candidate_metrics=(
                [Metric.from_aws(metric) for metric in metrics] if metrics is not None else None
            ),
        )


@strawberry.type(description="A model Autopilot trained for a job, and how it scored.")
class Candidate(relay.Node):
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

    @classmethod
    def from_aws(cls, data: AWS, job_name: str) -> Candidate:
        objective = data.get("FinalAutoMLJobObjectiveMetric")
        containers = data.get("InferenceContainers")
        properties = data.get("CandidateProperties")
        definitions = data.get("InferenceContainerDefinitions")
        return cls(
            job_name=job_name,
            candidate_name=data["CandidateName"],
            candidate_status=from_aws(CandidateStatus, data["CandidateStatus"]),
            objective_status=from_aws(ObjectiveStatus, data["ObjectiveStatus"]),
            final_auto_ml_job_objective_metric=(
                ObjectiveMetric.from_aws(objective) if objective else None
            ),
            candidate_steps=[CandidateStep.from_aws(step) for step in data["CandidateSteps"]],
            inference_containers=(
                [Container.from_aws(c) for c in containers] if containers is not None else None
            ),
            creation_time=utc(data["CreationTime"]),
            end_time=optional_utc(data.get("EndTime")),
            last_modified_time=utc(data["LastModifiedTime"]),
            failure_reason=data.get("FailureReason"),
            candidate_properties=(
                CandidateProperties.from_aws(properties) if properties is not None else None
            ),
            inference_container_definitions=(
                [
                    ProcessingUnitContainers(
                        processing_unit=from_aws(AutoMLProcessingUnit, unit),
                        containers=[Container.from_aws(c) for c in unit_containers],
                    )
                    for unit, unit_containers in sorted(definitions.items())
                ]
                if definitions is not None
                else None
            ),
        )


@strawberry.type(description="A page of an AutoML job's candidates, in SageMaker's order.")
class CandidateConnection(Countable, relay.Connection[Candidate]):
    pass


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
) -> CandidateConnection:
    """A page of a job's candidates: ``Query.candidates``, and ``AutoMLJob.candidates``
    through :func:`on_the_job`."""
    if status_equals is CandidateStatus.UNKNOWN:
        raise BadUserInput("`statusEquals: UNKNOWN` cannot be used as a filter.")
    query = CandidateQuery(
        job_name=job_name,
        status_equals=status_equals.value if status_equals else None,
        candidate_name_equals=candidate_name_equals,
        sort_by=sort_by.value if sort_by else None,
        sort_order=sort_order.value if sort_order else None,
    )
    paged = info.context.autopilot.candidates(query)
    page = await paged.page(first=first, after=after, last=last, before=before)
    edges = edges_of(page, lambda item: Candidate.from_aws(item, job_name))
    return CandidateConnection(edges=edges, page_info=page_info(edges, page), paged=paged)


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
