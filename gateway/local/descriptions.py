"""DescribeAutoMLJob, DescribeAutoMLJobV2 and ListAutoMLJobs' summaries of a stored job.

Each answers with the request the job was created with, translated when the job was created
with the other API, plus what Autopilot resolved and produced; the members the shapes share
come from one place so the three never disagree about a job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from moto.sagemaker.exceptions import ValidationError

from gateway.local.candidate_order import best_candidate
from gateway.local.jobs import AutoMLJob
from gateway.local.naming import name_prefix, stable_seed
from gateway.local.problem_types import CONFIG_NAMES
from gateway.local.request_translation import v1_to_v2, v2_to_v1
from gateway.local.wire import present
from gateway.shapes import AWS


def _secondary_status(job: AutoMLJob) -> str:
    if job.run.secondary_status is not None:
        return job.run.secondary_status
    if job.status == "Completed":
        return "CandidateDefinitionsGenerated" if job.definitions_only else "Completed"
    if job.status == "InProgress":
        return "ModelTuning" if job.tabular else "TrainingModels"
    return job.status  # Failed, Stopped and Stopping are secondary statuses too


def _failure_fields(job: AutoMLJob) -> AWS:
    failed = [c["FailureReason"] for c in job.run.candidates if c["CandidateStatus"] == "Failed"]
    reasons = list(dict.fromkeys(failed))[:5]
    return present(
        FailureReason=job.failure_reason if job.status == "Failed" else None,
        PartialFailureReasons=[{"PartialFailureMessage": r} for r in reasons] or None,
    )


def _timestamps(job: AutoMLJob) -> AWS:
    return present(
        CreationTime=job.spec.creation_time,
        EndTime=job.run.end_time,
        LastModifiedTime=job.run.last_modified_time,
    )


_BEFORE_DEFINITIONS: Final = frozenset({"Starting", "AnalyzingData", "FeatureEngineering"})
"""A live job's secondary statuses before its candidate definitions (and notebooks) exist."""


def _artifacts(job: AutoMLJob) -> AWS | None:
    if not job.tabular or job.run.secondary_status in _BEFORE_DEFINITIONS:
        return None
    out = job.spec.output_path.rstrip("/")
    digest = f"{stable_seed(job.name, 'pr'):016x}"
    notebooks = (
        f"{out}/{job.name}/sagemaker-automl-candidates/{name_prefix(job.name)}-pr-1-{digest}"
        "/notebooks"
    )
    return {
        "CandidateDefinitionNotebookLocation": (
            f"{notebooks}/SageMakerAutopilotCandidateDefinitionNotebook.ipynb"
        ),
        "DataExplorationNotebookLocation": (
            f"{notebooks}/SageMakerAutopilotDataExplorationNotebook.ipynb"
        ),
    }


def _deploy_result(job: AutoMLJob, config: Mapping[str, Any] | None) -> AWS | None:
    if job.status != "Completed" or not config or job.definitions_only:
        return None
    if config.get("EndpointName"):
        return {"EndpointName": config["EndpointName"]}
    if config.get("AutoGenerateEndpointName"):
        return {"EndpointName": f"{name_prefix(job.name)}-{stable_seed(job.name, 'ep'):08x}"[:63]}
    return None


def _deployment(job: AutoMLJob, request: AWS) -> AWS:
    """ModelDeployConfig as requested and the ModelDeployResult it led to."""
    config = request.get("ModelDeployConfig")
    return present(ModelDeployConfig=config, ModelDeployResult=_deploy_result(job, config))


def _common_fields(job: AutoMLJob) -> AWS:
    """The members DescribeAutoMLJob and DescribeAutoMLJobV2 share."""
    return present(
        **_timestamps(job),
        **_failure_fields(job),
        BestCandidate=best_candidate(job.run.candidates, job.spec.objective),
        AutoMLJobStatus=job.status,
        AutoMLJobSecondaryStatus=_secondary_status(job),
    )


def describe_v1(job: AutoMLJob) -> AWS:
    """DescribeAutoMLJob's answer.

    AWS documents that V2 jobs "cannot be described by DescribeAutoMLJob"; a tabular V2 job
    maps losslessly onto the V1 shape, so it is described, while a V2 job of another problem
    type (which the V1 shape cannot express) is refused with a ValidationException.
    """
    if not job.tabular:
        raise ValidationError(
            f"AutoML job {job.name} is a {CONFIG_NAMES[job.config_key]} job created "
            "with CreateAutoMLJobV2. Use DescribeAutoMLJobV2 to describe it."
        )
    request = job.request if job.version == 1 else v2_to_v1(job.request)
    resolved = {
        "AutoMLJobObjective": {"MetricName": job.spec.objective},
        "ProblemType": job.spec.problem,
        "CompletionCriteria": job.completion,
    }
    return present(
        AutoMLJobName=job.name,
        AutoMLJobArn=job.arn,
        InputDataConfig=request["InputDataConfig"],
        OutputDataConfig=request["OutputDataConfig"],
        RoleArn=request["RoleArn"],
        AutoMLJobObjective=request.get("AutoMLJobObjective"),
        ProblemType=request.get("ProblemType"),
        AutoMLJobConfig=request.get("AutoMLJobConfig"),
        **_common_fields(job),
        GenerateCandidateDefinitionsOnly=request.get("GenerateCandidateDefinitionsOnly"),
        AutoMLJobArtifacts=_artifacts(job),
        ResolvedAttributes=resolved,
        **_deployment(job, request),
    )


def describe_v2(job: AutoMLJob) -> AWS:
    """DescribeAutoMLJobV2's answer, for V2 jobs and (as on AWS) V1 jobs."""
    request = job.request if job.version == 2 else v1_to_v2(job.request)
    resolved: AWS = {
        "AutoMLJobObjective": {"MetricName": job.spec.objective},
        "CompletionCriteria": job.completion,
    }
    if job.tabular:
        resolved["AutoMLProblemTypeResolvedAttributes"] = {
            "TabularResolvedAttributes": {"ProblemType": job.spec.problem}
        }
    return present(
        AutoMLJobName=job.name,
        AutoMLJobArn=job.arn,
        AutoMLJobInputDataConfig=request["AutoMLJobInputDataConfig"],
        OutputDataConfig=request["OutputDataConfig"],
        RoleArn=request["RoleArn"],
        AutoMLJobObjective=request.get("AutoMLJobObjective"),
        AutoMLProblemTypeConfig=request["AutoMLProblemTypeConfig"],
        AutoMLProblemTypeConfigName=CONFIG_NAMES[job.config_key],
        **_common_fields(job),
        AutoMLJobArtifacts=_artifacts(job),
        ResolvedAttributes=resolved,
        **_deployment(job, request),
        DataSplitConfig=request.get("DataSplitConfig"),
        SecurityConfig=request.get("SecurityConfig"),
        AutoMLComputeConfig=request.get("AutoMLComputeConfig"),
    )


def summary(job: AutoMLJob) -> AWS:
    """The job's AutoMLJobSummary in ListAutoMLJobs."""
    return present(
        AutoMLJobName=job.name,
        AutoMLJobArn=job.arn,
        AutoMLJobStatus=job.status,
        AutoMLJobSecondaryStatus=_secondary_status(job),
        **_timestamps(job),
        **_failure_fields(job),
    )
