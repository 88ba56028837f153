"""The AutoMLJob type and its connection.

A job from ListAutoMLJobs carries only its summary; fields that need DescribeAutoMLJobV2 (which
also describes V1 jobs) describe it on first use, through the request's DataLoader, so they
cost a call only when selected and one call however many of them are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from gateway.schema.candidates import Candidate, candidates, on_the_job
from gateway.schema.connections import Countable
from gateway.schema.context import Info
from gateway.schema.enums import (
    AutoMLJobSecondaryStatus,
    AutoMLJobStatus,
    AutoMLMetric,
    AutoMLProblemTypeConfigName,
    ProblemType,
    optional_from_aws,
)
from gateway.schema.views import View, enum_member, member, reads, time_member
from gateway.shapes import AWS


@strawberry.type(description="The metric an AutoML job optimizes (AutoMLJobObjective).")
class AutoMLJobObjective:
    metric_name: AutoMLMetric


@strawberry.type(description="When an AutoML job stops (AutoMLJobCompletionCriteria).")
class CompletionCriteria:
    max_candidates: int | None
    max_runtime_per_training_job_in_seconds: int | None
    max_auto_ml_job_runtime_in_seconds: int | None = strawberry.field(
        name="maxAutoMLJobRuntimeInSeconds"
    )

    @classmethod
    def from_aws(cls, data: AWS) -> CompletionCriteria:
        return cls(
            max_candidates=data.get("MaxCandidates"),
            max_runtime_per_training_job_in_seconds=data.get("MaxRuntimePerTrainingJobInSeconds"),
            max_auto_ml_job_runtime_in_seconds=data.get("MaxAutoMLJobRuntimeInSeconds"),
        )


@strawberry.type(
    name="AutoMLProblemTypeConfigSummary",
    description="The main settings of a job's problem type; members that do not apply to "
    "the problem type are null.",
)
class ProblemTypeConfigSummary:
    target_attribute_name: str | None = strawberry.field(
        description="Tabular and time-series jobs: the column to predict."
    )
    content_column: str | None = strawberry.field(description="Text classification.")
    target_label_column: str | None = strawberry.field(description="Text classification.")
    forecast_frequency: str | None = strawberry.field(description="Time-series forecasting.")
    forecast_horizon: int | None = strawberry.field(description="Time-series forecasting.")
    forecast_quantiles: list[str] | None = strawberry.field(description="Time-series forecasting.")
    base_model_name: str | None = strawberry.field(description="Text generation.")

    @classmethod
    def from_aws(cls, config: AWS) -> ProblemTypeConfigSummary:
        time_series = config.get("TimeSeriesConfig", {})
        return cls(
            target_attribute_name=config.get("TargetAttributeName")
            or time_series.get("TargetAttributeName"),
            content_column=config.get("ContentColumn"),
            target_label_column=config.get("TargetLabelColumn"),
            forecast_frequency=config.get("ForecastFrequency"),
            forecast_horizon=config.get("ForecastHorizon"),
            forecast_quantiles=config.get("ForecastQuantiles"),
            base_model_name=config.get("BaseModelName"),
        )


def _partial_failure_messages(reasons: list[AWS]) -> list[str] | None:
    return [r.get("PartialFailureMessage", "") for r in reasons] if reasons else None


@reads(
    auto_ml_job_name=member("AutoMLJobName"),
    auto_ml_job_arn=member("AutoMLJobArn"),
    auto_ml_job_status=enum_member("AutoMLJobStatus", AutoMLJobStatus),
    auto_ml_job_secondary_status=enum_member("AutoMLJobSecondaryStatus", AutoMLJobSecondaryStatus),
    creation_time=time_member("CreationTime"),
    end_time=time_member("EndTime"),
    last_modified_time=time_member("LastModifiedTime"),
    failure_reason=member("FailureReason"),
    partial_failure_reasons=member("PartialFailureReasons", _partial_failure_messages),
)
@strawberry.type(name="AutoMLJob", description="An Autopilot (AutoML) job.")
class AutoMLJob(View, relay.Node):
    auto_ml_job_name: str = strawberry.field(name="autoMLJobName")
    auto_ml_job_arn: str = strawberry.field(name="autoMLJobArn")
    auto_ml_job_status: AutoMLJobStatus = strawberry.field(name="autoMLJobStatus")
    auto_ml_job_secondary_status: AutoMLJobSecondaryStatus = strawberry.field(
        name="autoMLJobSecondaryStatus"
    )
    creation_time: datetime
    end_time: datetime | None
    last_modified_time: datetime
    failure_reason: str | None
    partial_failure_reasons: list[str] | None
    description: strawberry.Private[AWS | None] = None

    @classmethod
    def resolve_id(cls, root: AutoMLJob, *, info: Info) -> str:
        return root.auto_ml_job_name

    @classmethod
    def from_aws(cls, data: AWS, *, described: bool) -> AutoMLJob:
        """A job from a DescribeAutoMLJobV2 response or an AutoMLJobSummary, read as GraphQL
        asks for its fields."""
        job = cls.of(data)
        job.description = data if described else None
        return job

    async def _described(self, info: Info) -> AWS:
        if self.description is None:
            self.description = await info.context.autopilot.job(self.auto_ml_job_name)
        return self.description

    @strawberry.field(name="autoMLProblemTypeConfigName")
    async def auto_ml_problem_type_config_name(
        self, info: Info
    ) -> AutoMLProblemTypeConfigName | None:
        name = (await self._described(info)).get("AutoMLProblemTypeConfigName")
        return optional_from_aws(AutoMLProblemTypeConfigName, name)

    @strawberry.field(description="Tabular jobs: the problem type given or inferred.")
    async def problem_type(self, info: Info) -> ProblemType | None:
        data = await self._described(info)
        resolved = data.get("ResolvedAttributes", {}).get("AutoMLProblemTypeResolvedAttributes", {})
        problem_type = resolved.get("TabularResolvedAttributes", {}).get("ProblemType")
        return optional_from_aws(
            ProblemType, problem_type or _problem_config(data).get("ProblemType")
        )

    @strawberry.field(
        name="autoMLProblemTypeConfig", description="The main settings of the problem type."
    )
    async def auto_ml_problem_type_config(self, info: Info) -> ProblemTypeConfigSummary | None:
        config = _problem_config(await self._described(info))
        return ProblemTypeConfigSummary.from_aws(config) if config else None

    @strawberry.field(name="autoMLJobObjective", description="The objective given or resolved.")
    async def auto_ml_job_objective(self, info: Info) -> AutoMLJobObjective | None:
        data = await self._described(info)
        objective = data.get("ResolvedAttributes", {}).get("AutoMLJobObjective") or data.get(
            "AutoMLJobObjective"
        )
        if not objective:
            return None
        metric = optional_from_aws(AutoMLMetric, objective.get("MetricName"))
        return AutoMLJobObjective(metric_name=metric)  # type: ignore[arg-type]

    @strawberry.field(description="The completion criteria given or resolved.")
    async def completion_criteria(self, info: Info) -> CompletionCriteria | None:
        data = await self._described(info)
        criteria = data.get("ResolvedAttributes", {}).get("CompletionCriteria") or _problem_config(
            data
        ).get("CompletionCriteria")
        return CompletionCriteria.from_aws(criteria) if criteria else None

    @strawberry.field(description="The candidate with the best objective metric so far.")
    async def best_candidate(self, info: Info) -> Candidate | None:
        best = (await self._described(info)).get("BestCandidate")
        return Candidate.from_aws(best, self.auto_ml_job_name) if best else None

    candidates = strawberry.field(
        resolver=on_the_job(candidates),
        description="The job's candidates, paged in SageMaker's order.",
    )


def _problem_config(data: AWS) -> AWS:
    """The one member of AutoMLProblemTypeConfig that is set, e.g. TabularJobConfig."""
    configs: dict[str, Any] = data.get("AutoMLProblemTypeConfig", {})
    return next(iter(configs.values()), {})


@strawberry.type(description="A page of AutoML jobs.")
class AutoMLJobConnection(Countable, relay.Connection[AutoMLJob]):
    pass
