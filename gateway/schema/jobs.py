"""The AutoMLJob type, built from DescribeAutoMLJobV2 (which also describes V1 jobs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

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
from gateway.schema.enums import (
    AutoMLJobSecondaryStatus,
    AutoMLJobStatus,
    AutoMLMetric,
    AutoMLProblemTypeConfigName,
    CandidateSortBy,
    CandidateStatus,
    ProblemType,
    SortOrder,
    from_aws,
    optional_from_aws,
)
from gateway.schema.types import AWS, Candidate, optional_utc, utc


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


@strawberry.type(name="AutoMLJob", description="An Autopilot (AutoML) job.")
class AutoMLJob:
    auto_ml_job_name: str = strawberry.field(name="autoMLJobName")
    auto_ml_job_arn: str = strawberry.field(name="autoMLJobArn")
    auto_ml_job_status: AutoMLJobStatus = strawberry.field(name="autoMLJobStatus")
    auto_ml_job_secondary_status: AutoMLJobSecondaryStatus = strawberry.field(
        name="autoMLJobSecondaryStatus"
    )
    auto_ml_problem_type_config_name: AutoMLProblemTypeConfigName | None = strawberry.field(
        name="autoMLProblemTypeConfigName"
    )
    problem_type: ProblemType | None = strawberry.field(
        description="For tabular jobs: the problem type given or inferred."
    )
    auto_ml_job_objective: AutoMLJobObjective | None = strawberry.field(
        name="autoMLJobObjective", description="The objective given or resolved."
    )
    completion_criteria: CompletionCriteria | None = strawberry.field(
        description="The completion criteria given or resolved."
    )
    creation_time: datetime
    end_time: datetime | None
    last_modified_time: datetime
    failure_reason: str | None
    partial_failure_reasons: list[str] | None
    best_candidate: Candidate | None

    @strawberry.field(description="The job's candidates, paged.")
    async def candidates(
        self,
        info: Info,
        first: Annotated[int | None, FIRST] = None,
        after: Annotated[str | None, AFTER] = None,
        status_equals: Annotated[CandidateStatus | None, STATUS_EQUALS] = None,
        candidate_name_equals: Annotated[str | None, CANDIDATE_NAME_EQUALS] = None,
        sort_by: Annotated[CandidateSortBy | None, SORT_BY] = None,
        sort_order: Annotated[SortOrder | None, SORT_ORDER] = None,
    ) -> CandidateConnection:
        return await resolve_candidates(
            info,
            self.auto_ml_job_name,
            first,
            after,
            status_equals,
            candidate_name_equals,
            sort_by,
            sort_order,
        )

    @classmethod
    def from_aws(cls, data: AWS) -> AutoMLJob:
        resolved = data.get("ResolvedAttributes", {})
        objective = resolved.get("AutoMLJobObjective") or data.get("AutoMLJobObjective")
        criteria = resolved.get("CompletionCriteria") or _problem_config(data).get(
            "CompletionCriteria"
        )
        best = data.get("BestCandidate")
        return cls(
            auto_ml_job_name=data["AutoMLJobName"],
            auto_ml_job_arn=data["AutoMLJobArn"],
            auto_ml_job_status=from_aws(AutoMLJobStatus, data["AutoMLJobStatus"]),
            auto_ml_job_secondary_status=from_aws(
                AutoMLJobSecondaryStatus, data["AutoMLJobSecondaryStatus"]
            ),
            auto_ml_problem_type_config_name=optional_from_aws(
                AutoMLProblemTypeConfigName, data.get("AutoMLProblemTypeConfigName")
            ),
            problem_type=optional_from_aws(ProblemType, _problem_type(data)),
            auto_ml_job_objective=(
                AutoMLJobObjective(metric_name=from_aws(AutoMLMetric, objective["MetricName"]))
                if objective
                else None
            ),
            completion_criteria=CompletionCriteria.from_aws(criteria) if criteria else None,
            creation_time=utc(data["CreationTime"]),
            end_time=optional_utc(data.get("EndTime")),
            last_modified_time=utc(data["LastModifiedTime"]),
            failure_reason=data.get("FailureReason"),
            partial_failure_reasons=(
                [r.get("PartialFailureMessage", "") for r in data["PartialFailureReasons"]]
                if "PartialFailureReasons" in data
                else None
            ),
            best_candidate=Candidate.from_aws(best) if best else None,
        )


def _problem_config(data: AWS) -> dict[str, Any]:
    """The one member of AutoMLProblemTypeConfig that is set, e.g. TabularJobConfig."""
    configs: dict[str, Any] = data.get("AutoMLProblemTypeConfig", {})
    return next(iter(configs.values()), {})


def _problem_type(data: AWS) -> str | None:
    resolved = data.get("ResolvedAttributes", {}).get("AutoMLProblemTypeResolvedAttributes", {})
    tabular = resolved.get("TabularResolvedAttributes", {})
    problem_type: str | None = tabular.get("ProblemType") or _problem_config(data).get(
        "ProblemType"
    )
    return problem_type
