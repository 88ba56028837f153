"""In-memory Autopilot state of the local SageMaker, per (account, region).

moto's own AutoML model answers with placeholder data (a fixed "best_candidate", a status that
is always InProgress, no candidates at all), so the local SageMaker keeps AutoML jobs here
instead, outside moto's process-global backends: every :class:`LocalAutopilot` is isolated.
V1 (CreateAutoMLJob) and V2 (CreateAutoMLJobV2) jobs share one namespace, as on AWS, and each
can be described with either API where AWS allows it.

The local SageMaker has no clock-driven lifecycle: a job created through the API is Completed at
once, with all its candidates. ``set_job_status`` moves a job to any status (for seeding and
tests) and regenerates its candidates consistently; StopAutoMLJob stops a running job at once.

Operations take the request as parsed by moto (a dict shaped like botocore's input shape) and
return dicts shaped like the output shape, raising moto's SageMaker exceptions on errors.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, cast

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError

from gateway.local.candidates import (
    ALLOWED_OBJECTIVES,
    DEFAULT_OBJECTIVE,
    TABULAR_KINDS,
    JobRun,
    JobSpec,
    JobStatus,
    ProblemKind,
    best_candidate,
    generate_run,
    name_prefix,
    partition,
    stable_seed,
)
from gateway.local.faults import Faults
from gateway.local.pagination import PageTokenCodec
from gateway.local.validation import validate_request

Json = dict[str, Any]

DEFAULT_MAX_CANDIDATES: Final = 250
"""AWS's MaxCandidates default for tabular jobs. For text/image classification and time-series
forecasting botocore's model says the only supported value is 1, so that is their default."""
DEFAULT_MAX_RUNTIME_PER_TRAINING_JOB: Final = 86_400
DEFAULT_MAX_AUTOML_JOB_RUNTIME: Final = 2_592_000

CANDIDATES_DEFAULT_SORT_BY: Final = "CreationTime"
"""ListCandidatesForAutoMLJob's SortBy default. AWS documents the default as "Descending" (not a
SortBy value); CreationTime is the order candidates are produced in."""
CANDIDATES_DEFAULT_SORT_ORDER: Final = "Ascending"
CANDIDATES_DEFAULT_MAX_RESULTS: Final = 10
"""AWS documents no default page size; 10 is SageMaker's usual List* default, and a small page
makes a client that ignores NextToken visibly incomplete locally rather than only in production."""
JOBS_DEFAULT_SORT_BY: Final = "Name"
JOBS_DEFAULT_SORT_ORDER: Final = "Descending"
JOBS_DEFAULT_MAX_RESULTS: Final = 10

JOB_STATUSES: Final[tuple[JobStatus, ...]] = (
    "Completed",
    "InProgress",
    "Failed",
    "Stopped",
    "Stopping",
)
DEFAULT_FAILURE_REASON: Final = (
    "ClientError: The AutoML job failed because no candidate could be trained successfully. "
    "Check the failure reasons of the candidates' training jobs."
)

_CONFIG_NAMES: Final[dict[str, str]] = {
    "TabularJobConfig": "Tabular",
    "TimeSeriesForecastingJobConfig": "TimeSeriesForecasting",
    "TextClassificationJobConfig": "TextClassification",
    "ImageClassificationJobConfig": "ImageClassification",
    "TextGenerationJobConfig": "TextGeneration",
}
_OBJECTIVE_PROBLEM: Final[dict[str, ProblemKind]] = {
    "F1": "BinaryClassification",
    "AUC": "BinaryClassification",
    "Precision": "BinaryClassification",
    "Recall": "BinaryClassification",
    "Accuracy": "BinaryClassification",
    "BalancedAccuracy": "BinaryClassification",
    "F1macro": "MulticlassClassification",
    "PrecisionMacro": "MulticlassClassification",
    "RecallMacro": "MulticlassClassification",
    "MSE": "Regression",
    "RMSE": "Regression",
    "MAE": "Regression",
    "R2": "Regression",
}


@dataclass
class _Job:
    """One AutoML job, whichever API created it."""

    version: Literal[1, 2]
    request: Json
    arn: str
    config_key: str  # the AutoMLProblemTypeConfig member, e.g. "TabularJobConfig"
    spec: JobSpec
    completion: Json  # resolved CompletionCriteria
    status: JobStatus
    failure_reason: str | None
    run: JobRun

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def tabular(self) -> bool:
        return self.config_key == "TabularJobConfig"

    @property
    def definitions_only(self) -> bool:
        if self.version == 1:
            return bool(self.request.get("GenerateCandidateDefinitionsOnly"))
        config = self.request["AutoMLProblemTypeConfig"][self.config_key]
        return bool(config.get("GenerateCandidateDefinitionsOnly"))


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _present(**members: Any) -> Json:
    """The members that are set (AWS omits absent members rather than sending nulls)."""
    return {k: v for k, v in members.items() if v is not None and v != {}}


def _algorithms(candidate_generation: Mapping[str, Any] | None) -> tuple[str, ...]:
    configs = (candidate_generation or {}).get("AlgorithmsConfig") or []
    return tuple(configs[0].get("AutoMLAlgorithms", [])) if configs else ()


def _check_objective(problem: str, objective: str) -> None:
    if objective not in ALLOWED_OBJECTIVES[problem]:
        allowed = ", ".join(ALLOWED_OBJECTIVES[problem])
        raise ValidationError(
            f"The objective metric {objective} is not supported for {problem} problems. "
            f"Supported metrics: [{allowed}]."
        )


def _check_deploy_config(config: Mapping[str, Any] | None) -> None:
    if config and config.get("AutoGenerateEndpointName") and config.get("EndpointName"):
        raise ValidationError(
            "An EndpointName cannot be provided while AutoGenerateEndpointName is True."
        )


def _resolved_completion(given: Mapping[str, Any] | None, tabular: bool, name: str) -> Json:
    given = given or {}
    max_candidates = given.get("MaxCandidates", DEFAULT_MAX_CANDIDATES if tabular else 1)
    if not tabular and max_candidates != 1:
        raise ValidationError(
            f"Value '{max_candidates}' at 'completionCriteria.maxCandidates' is not supported "
            f"for AutoML job {name}: the only supported value for this problem type is 1."
        )
    return {
        "MaxCandidates": max_candidates,
        "MaxRuntimePerTrainingJobInSeconds": given.get(
            "MaxRuntimePerTrainingJobInSeconds", DEFAULT_MAX_RUNTIME_PER_TRAINING_JOB
        ),
        "MaxAutoMLJobRuntimeInSeconds": given.get(
            "MaxAutoMLJobRuntimeInSeconds", DEFAULT_MAX_AUTOML_JOB_RUNTIME
        ),
    }


def _secondary_status(job: _Job) -> str:
    if job.status == "Completed":
        return "CandidateDefinitionsGenerated" if job.definitions_only else "Completed"
    if job.status == "InProgress":
        return "ModelTuning" if job.tabular else "TrainingModels"
    return job.status  # Failed, Stopped and Stopping are secondary statuses too


def _failure_fields(job: _Job) -> Json:
    failed = [c["FailureReason"] for c in job.run.candidates if c["CandidateStatus"] == "Failed"]
    reasons = list(dict.fromkeys(failed))[:5]
    return _present(
        FailureReason=job.failure_reason if job.status == "Failed" else None,
        PartialFailureReasons=[{"PartialFailureMessage": r} for r in reasons] or None,
    )


def _artifacts(job: _Job) -> Json | None:
    if not job.tabular:
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


def _deploy_result(job: _Job, config: Mapping[str, Any] | None) -> Json | None:
    if job.status != "Completed" or not config or job.definitions_only:
        return None
    if config.get("EndpointName"):
        return {"EndpointName": config["EndpointName"]}
    if config.get("AutoGenerateEndpointName"):
        return {"EndpointName": f"{name_prefix(job.name)}-{stable_seed(job.name, 'ep'):08x}"[:63]}
    return None


def _common_fields(job: _Job) -> Json:
    """The members DescribeAutoMLJob and DescribeAutoMLJobV2 share."""
    best = best_candidate(job.run.candidates, job.spec.objective)
    return _present(
        CreationTime=job.spec.creation_time,
        EndTime=job.run.end_time,
        LastModifiedTime=job.run.last_modified_time,
        **_failure_fields(job),
        BestCandidate=best,
        AutoMLJobStatus=job.status,
        AutoMLJobSecondaryStatus=_secondary_status(job),
    )


def _v1_to_v2(request: Json) -> Json:
    """A CreateAutoMLJob request as the CreateAutoMLJobV2 request AWS treats it as."""
    channels = request["InputDataConfig"]
    job_config = request.get("AutoMLJobConfig", {})
    generation = job_config.get("CandidateGenerationConfig", {})
    tabular = _present(
        CandidateGenerationConfig=_present(AlgorithmsConfig=generation.get("AlgorithmsConfig")),
        CompletionCriteria=job_config.get("CompletionCriteria"),
        FeatureSpecificationS3Uri=generation.get("FeatureSpecificationS3Uri"),
        Mode=job_config.get("Mode"),
        GenerateCandidateDefinitionsOnly=request.get("GenerateCandidateDefinitionsOnly"),
        ProblemType=request.get("ProblemType"),
        TargetAttributeName=channels[0]["TargetAttributeName"],
        SampleWeightAttributeName=next(
            (c["SampleWeightAttributeName"] for c in channels if "SampleWeightAttributeName" in c),
            None,
        ),
    )
    keep = ("ChannelType", "ContentType", "CompressionType", "DataSource")
    return _present(
        AutoMLJobInputDataConfig=[{k: c[k] for k in keep if k in c} for c in channels],
        OutputDataConfig=request["OutputDataConfig"],
        AutoMLProblemTypeConfig={"TabularJobConfig": tabular},
        RoleArn=request["RoleArn"],
        SecurityConfig=job_config.get("SecurityConfig"),
        AutoMLJobObjective=request.get("AutoMLJobObjective"),
        ModelDeployConfig=request.get("ModelDeployConfig"),
        DataSplitConfig=job_config.get("DataSplitConfig"),
    )


def _v2_to_v1(request: Json) -> Json:
    """A tabular CreateAutoMLJobV2 request in CreateAutoMLJob's terms."""
    tabular = request["AutoMLProblemTypeConfig"]["TabularJobConfig"]
    extra = _present(
        TargetAttributeName=tabular["TargetAttributeName"],
        SampleWeightAttributeName=tabular.get("SampleWeightAttributeName"),
    )
    generation = tabular.get("CandidateGenerationConfig", {})
    return _present(
        InputDataConfig=[{**c, **extra} for c in request["AutoMLJobInputDataConfig"]],
        OutputDataConfig=request["OutputDataConfig"],
        ProblemType=tabular.get("ProblemType"),
        AutoMLJobObjective=request.get("AutoMLJobObjective"),
        AutoMLJobConfig=_present(
            CompletionCriteria=tabular.get("CompletionCriteria"),
            SecurityConfig=request.get("SecurityConfig"),
            CandidateGenerationConfig=_present(
                FeatureSpecificationS3Uri=tabular.get("FeatureSpecificationS3Uri"),
                AlgorithmsConfig=generation.get("AlgorithmsConfig"),
            ),
            DataSplitConfig=request.get("DataSplitConfig"),
            Mode=tabular.get("Mode"),
        ),
        RoleArn=request["RoleArn"],
        GenerateCandidateDefinitionsOnly=tabular.get("GenerateCandidateDefinitionsOnly"),
        ModelDeployConfig=request.get("ModelDeployConfig"),
    )


def _creation_sort(c: Json) -> tuple[Any, ...]:
    return (c["CreationTime"], c["CandidateName"])


def sort_candidates(candidates: list[Json], sort_by: str, sort_order: str) -> list[Json]:
    """A total, deterministic order (ties broken by CreationTime, then CandidateName).

    With FinalObjectiveMetricValue, candidates without a final metric come last in both orders.
    """
    descending = sort_order == "Descending"
    if sort_by == "FinalObjectiveMetricValue":
        scored = [c for c in candidates if "FinalAutoMLJobObjectiveMetric" in c]
        unscored = [c for c in candidates if "FinalAutoMLJobObjectiveMetric" not in c]
        scored.sort(
            key=lambda c: (c["FinalAutoMLJobObjectiveMetric"]["Value"], *_creation_sort(c)),
            reverse=descending,
        )
        return scored + sorted(unscored, key=_creation_sort, reverse=descending)
    key: Callable[[Json], tuple[Any, ...]] = _creation_sort
    if sort_by == "Status":
        key = lambda c: (c["CandidateStatus"], *_creation_sort(c))  # noqa: E731
    return sorted(candidates, key=key, reverse=descending)


class LocalAutopilot:
    """AutoML jobs and their candidates for every (account, region), safe across threads."""

    def __init__(
        self,
        default_region: str = "us-east-1",
        default_account_id: str = DEFAULT_ACCOUNT_ID,
        *,
        token_key: bytes | None = None,
    ) -> None:
        self.default_region = default_region
        self.default_account_id = default_account_id
        self._jobs: dict[tuple[str, str], dict[str, _Job]] = {}
        self._lock = threading.RLock()
        self._tokens = PageTokenCodec(token_key)
        self.faults = Faults()
        """Failures to answer with instead of the real thing, for tests (see faults.py)."""

    # -- helpers ---------------------------------------------------------------------------

    def _scope(self, account_id: str | None, region: str | None) -> tuple[str, str]:
        return (account_id or self.default_account_id, region or self.default_region)

    def _jobs_in(self, account_id: str | None, region: str | None) -> dict[str, _Job]:
        return self._jobs.setdefault(self._scope(account_id, region), {})

    def _job(self, name: str, account_id: str | None, region: str | None) -> _Job:
        job = self._jobs_in(account_id, region).get(name)
        if job is None:
            raise ResourceNotFound(f"Could not find AutoML job with name {name}.")
        return job

    def _add(
        self,
        version: Literal[1, 2],
        request: Json,
        config_key: str,
        spec_args: Json,
        completion: Json,
        account_id: str,
        region: str,
        now: datetime | None,
    ) -> Json:
        name = request["AutoMLJobName"]
        arn = f"arn:{partition(region)}:sagemaker:{region}:{account_id}:automl-job/{name.lower()}"
        with self._lock:
            jobs = self._jobs_in(account_id, region)
            if name in jobs:
                raise ResourceInUseException(
                    "Job name must be unique within an AWS account and region, and a job with "
                    f"this name already exists ({arn})"
                )
            spec = JobSpec(
                name=name,
                account_id=account_id,
                region=region,
                creation_time=_aware(now) if now else _now(),
                output_path=request["OutputDataConfig"]["S3OutputPath"],
                **spec_args,
            )
            jobs[name] = _Job(
                version=version,
                request=copy.deepcopy(request),
                arn=arn,
                config_key=config_key,
                spec=spec,
                completion=completion,
                status="Completed",
                failure_reason=None,
                run=generate_run(spec, "Completed"),
            )
        return {"AutoMLJobArn": arn}

    # -- SageMaker API -----------------------------------------------------------------------

    def create_auto_ml_job(
        self,
        params: Mapping[str, Any],
        *,
        account_id: str | None = None,
        region: str | None = None,
        now: datetime | None = None,
    ) -> Json:
        """CreateAutoMLJob (V1, tabular only)."""
        validate_request("CreateAutoMLJob", params)
        request = dict(params)
        _check_deploy_config(request.get("ModelDeployConfig"))
        objective = request.get("AutoMLJobObjective", {}).get("MetricName")
        problem: ProblemKind
        if "ProblemType" in request:
            problem = request["ProblemType"]
        elif objective is not None:
            if objective not in _OBJECTIVE_PROBLEM:
                raise ValidationError(
                    f"The objective metric {objective} is not supported for tabular problems."
                )
            problem = _OBJECTIVE_PROBLEM[objective]
        else:
            # AWS infers the problem type from the data, which the local SageMaker never reads.
            problem = "BinaryClassification"
        objective = objective or DEFAULT_OBJECTIVE[problem]
        _check_objective(problem, objective)
        job_config = request.get("AutoMLJobConfig", {})
        completion = _resolved_completion(
            job_config.get("CompletionCriteria"), True, request["AutoMLJobName"]
        )
        spec_args = {
            "problem": problem,
            "objective": objective,
            "max_candidates": 0
            if request.get("GenerateCandidateDefinitionsOnly")
            else completion["MaxCandidates"],
            "algorithms": _algorithms(job_config.get("CandidateGenerationConfig")),
        }
        account_id, region = self._scope(account_id, region)
        return self._add(
            1, request, "TabularJobConfig", spec_args, completion, account_id, region, now
        )

    def create_auto_ml_job_v2(
        self,
        params: Mapping[str, Any],
        *,
        account_id: str | None = None,
        region: str | None = None,
        now: datetime | None = None,
    ) -> Json:
        """CreateAutoMLJobV2 (tabular, time-series forecasting, text and image classification)."""
        validate_request("CreateAutoMLJobV2", params)
        request = dict(params)
        _check_deploy_config(request.get("ModelDeployConfig"))
        ((config_key, config),) = request["AutoMLProblemTypeConfig"].items()
        if config_key == "TextGenerationJobConfig":
            raise ValidationError(
                "The local SageMaker does not emulate the TextGeneration problem type."
            )
        objective = request.get("AutoMLJobObjective", {}).get("MetricName")
        problem: ProblemKind
        if config_key == "TabularJobConfig":
            if ("ProblemType" in config) != (objective is not None):
                raise ValidationError(
                    "You must either specify both ProblemType and AutoMLJobObjective, or none "
                    "of them."
                )
            # Without both, AWS infers the problem type from the data the emulator never reads.
            problem = config.get("ProblemType", "BinaryClassification")
        else:
            problem = cast(ProblemKind, _CONFIG_NAMES[config_key])
        objective = objective or DEFAULT_OBJECTIVE[problem]
        _check_objective(problem, objective)
        completion = _resolved_completion(
            config.get("CompletionCriteria"), problem in TABULAR_KINDS, request["AutoMLJobName"]
        )
        spec_args = {
            "problem": problem,
            "objective": objective,
            "max_candidates": 0
            if config.get("GenerateCandidateDefinitionsOnly")
            else completion["MaxCandidates"],
            "algorithms": _algorithms(config.get("CandidateGenerationConfig")),
        }
        account_id, region = self._scope(account_id, region)
        return self._add(2, request, config_key, spec_args, completion, account_id, region, now)

    def describe_auto_ml_job(
        self, params: Mapping[str, Any], *, account_id: str | None = None, region: str | None = None
    ) -> Json:
        """DescribeAutoMLJob.

        AWS documents that V2 jobs "cannot be described by DescribeAutoMLJob"; a tabular V2 job
        maps losslessly onto the V1 shape, so it is described, while a V2 job of another problem
        type (which the V1 shape cannot express) is refused with a ValidationException.
        """
        validate_request("DescribeAutoMLJob", params)
        with self._lock:
            job = self._job(params["AutoMLJobName"], account_id, region)
            if not job.tabular:
                raise ValidationError(
                    f"AutoML job {job.name} is a {_CONFIG_NAMES[job.config_key]} job created "
                    "with CreateAutoMLJobV2. Use DescribeAutoMLJobV2 to describe it."
                )
            request = job.request if job.version == 1 else _v2_to_v1(job.request)
            resolved = {
                "AutoMLJobObjective": {"MetricName": job.spec.objective},
                "ProblemType": job.spec.problem,
                "CompletionCriteria": job.completion,
            }
            return _present(
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
                ModelDeployConfig=request.get("ModelDeployConfig"),
                ModelDeployResult=_deploy_result(job, request.get("ModelDeployConfig")),
            )

    def describe_auto_ml_job_v2(
        self, params: Mapping[str, Any], *, account_id: str | None = None, region: str | None = None
    ) -> Json:
        """DescribeAutoMLJobV2, for V2 jobs and (as on AWS) V1 jobs."""
        validate_request("DescribeAutoMLJobV2", params)
        with self._lock:
            job = self._job(params["AutoMLJobName"], account_id, region)
            request = job.request if job.version == 2 else _v1_to_v2(job.request)
            resolved: Json = {
                "AutoMLJobObjective": {"MetricName": job.spec.objective},
                "CompletionCriteria": job.completion,
            }
            if job.tabular:
                resolved["AutoMLProblemTypeResolvedAttributes"] = {
                    "TabularResolvedAttributes": {"ProblemType": job.spec.problem}
                }
            return _present(
                AutoMLJobName=job.name,
                AutoMLJobArn=job.arn,
                AutoMLJobInputDataConfig=request["AutoMLJobInputDataConfig"],
                OutputDataConfig=request["OutputDataConfig"],
                RoleArn=request["RoleArn"],
                AutoMLJobObjective=request.get("AutoMLJobObjective"),
                AutoMLProblemTypeConfig=request["AutoMLProblemTypeConfig"],
                AutoMLProblemTypeConfigName=_CONFIG_NAMES[job.config_key],
                **_common_fields(job),
                AutoMLJobArtifacts=_artifacts(job),
                ResolvedAttributes=resolved,
                ModelDeployConfig=request.get("ModelDeployConfig"),
                ModelDeployResult=_deploy_result(job, request.get("ModelDeployConfig")),
                DataSplitConfig=request.get("DataSplitConfig"),
                SecurityConfig=request.get("SecurityConfig"),
                AutoMLComputeConfig=request.get("AutoMLComputeConfig"),
            )

    def list_auto_ml_jobs(
        self, params: Mapping[str, Any], *, account_id: str | None = None, region: str | None = None
    ) -> Json:
        """ListAutoMLJobs over V1 and V2 jobs (NameContains matches case-insensitively)."""
        validate_request("ListAutoMLJobs", params)
        account_id, region = self._scope(account_id, region)
        sort_by = params.get("SortBy", JOBS_DEFAULT_SORT_BY)
        sort_order = params.get("SortOrder", JOBS_DEFAULT_SORT_ORDER)
        bounds = {
            key: _aware(params[key])
            for key in (
                "CreationTimeAfter",
                "CreationTimeBefore",
                "LastModifiedTimeAfter",
                "LastModifiedTimeBefore",
            )
            if key in params
        }
        binding = {
            "op": "ListAutoMLJobs",
            "scope": [account_id, region],
            "name": params.get("NameContains"),
            "status": params.get("StatusEquals"),
            "bounds": {k: v.isoformat() for k, v in bounds.items()},
            "sort": [sort_by, sort_order],
        }
        with self._lock:
            jobs = list(self._jobs_in(account_id, region).values())
            contains = params.get("NameContains", "").lower()
            jobs = [j for j in jobs if contains in j.name.lower()]
            if "StatusEquals" in params:
                jobs = [j for j in jobs if j.status == params["StatusEquals"]]
            created_after = bounds.get("CreationTimeAfter")
            created_before = bounds.get("CreationTimeBefore")
            modified_after = bounds.get("LastModifiedTimeAfter")
            modified_before = bounds.get("LastModifiedTimeBefore")
            jobs = [
                j
                for j in jobs
                if (created_after is None or j.spec.creation_time > created_after)
                and (created_before is None or j.spec.creation_time < created_before)
                and (modified_after is None or j.run.last_modified_time > modified_after)
                and (modified_before is None or j.run.last_modified_time < modified_before)
            ]
            primary: Callable[[_Job], Any] = {
                "Name": lambda j: j.name,
                "CreationTime": lambda j: j.spec.creation_time,
                "Status": lambda j: j.status,
            }[sort_by]
            jobs.sort(key=lambda j: (primary(j), j.name), reverse=sort_order == "Descending")
            page, token = self._page(jobs, params, JOBS_DEFAULT_MAX_RESULTS, binding)
            summaries = [
                _present(
                    AutoMLJobName=j.name,
                    AutoMLJobArn=j.arn,
                    AutoMLJobStatus=j.status,
                    AutoMLJobSecondaryStatus=_secondary_status(j),
                    CreationTime=j.spec.creation_time,
                    EndTime=j.run.end_time,
                    LastModifiedTime=j.run.last_modified_time,
                    **_failure_fields(j),
                )
                for j in page
            ]
        return _present(AutoMLJobSummaries=summaries, NextToken=token)

    def list_candidates_for_auto_ml_job(
        self, params: Mapping[str, Any], *, account_id: str | None = None, region: str | None = None
    ) -> Json:
        """ListCandidatesForAutoMLJob with filters, a total sort order and bound NextTokens."""
        validate_request("ListCandidatesForAutoMLJob", params)
        account_id, region = self._scope(account_id, region)
        sort_by = params.get("SortBy", CANDIDATES_DEFAULT_SORT_BY)
        sort_order = params.get("SortOrder", CANDIDATES_DEFAULT_SORT_ORDER)
        binding = {
            "op": "ListCandidatesForAutoMLJob",
            "scope": [account_id, region],
            "job": params["AutoMLJobName"],
            "status": params.get("StatusEquals"),
            "name": params.get("CandidateNameEquals"),
            "sort": [sort_by, sort_order],
        }
        with self._lock:
            candidates = self._job(params["AutoMLJobName"], account_id, region).run.candidates
        if "StatusEquals" in params:
            candidates = [c for c in candidates if c["CandidateStatus"] == params["StatusEquals"]]
        if "CandidateNameEquals" in params:
            name = params["CandidateNameEquals"]
            candidates = [c for c in candidates if c["CandidateName"] == name]
        ordered = sort_candidates(candidates, sort_by, sort_order)
        page, token = self._page(ordered, params, CANDIDATES_DEFAULT_MAX_RESULTS, binding)
        return _present(Candidates=page, NextToken=token)

    def _page(
        self, items: list[Any], params: Mapping[str, Any], default: int, binding: Json
    ) -> tuple[list[Any], str | None]:
        """One page of ``items``; the token is omitted when nothing follows."""
        token = params.get("NextToken")
        start = self._tokens.decode(token, binding) if token else 0
        end = start + params.get("MaxResults", default)
        next_token = self._tokens.encode(binding, end) if end < len(items) else None
        return items[start:end], next_token

    def stop_auto_ml_job(
        self, params: Mapping[str, Any], *, account_id: str | None = None, region: str | None = None
    ) -> Json:
        """StopAutoMLJob: a running job is Stopped at once, and so are its running candidates.

        Stopping a job that is not running is refused with a ValidationException; AWS does not
        document this case, and this is how it answers StopTrainingJob for a finished job.
        """
        validate_request("StopAutoMLJob", params)
        with self._lock:
            job = self._job(params["AutoMLJobName"], account_id, region)
            if job.status not in {"InProgress", "Stopping"}:
                raise ValidationError(
                    f"The request was rejected because the AutoML job is in status {job.status}."
                )
            self._set_status(job, "Stopped", None)
        return {}

    # -- local controls ----------------------------------------------------------------------

    def _set_status(self, job: _Job, status: JobStatus, failure_reason: str | None) -> None:
        job.status = status
        job.failure_reason = (
            (failure_reason or DEFAULT_FAILURE_REASON) if status == "Failed" else None
        )
        job.run = generate_run(job.spec, status)

    def set_job_status(
        self,
        name: str,
        status: JobStatus,
        failure_reason: str | None = None,
        *,
        account_id: str | None = None,
        region: str | None = None,
    ) -> None:
        """Put a job into ``status`` and regenerate its candidates to match.

        Completed: every candidate finished. InProgress/Stopping: a snapshot part-way through,
        with running candidates. Stopped: the same snapshot with running candidates stopped.
        Failed: an earlier snapshot; ``failure_reason`` (or a default) becomes FailureReason.
        """
        if status not in JOB_STATUSES:
            raise ValueError(f"status must be one of {JOB_STATUSES}, not {status!r}")
        with self._lock:
            self._set_status(self._job(name, account_id, region), status, failure_reason)

    def job_names(self, *, account_id: str | None = None, region: str | None = None) -> list[str]:
        with self._lock:
            return sorted(self._jobs_in(account_id, region))

    def has_job(
        self, name: str, *, account_id: str | None = None, region: str | None = None
    ) -> bool:
        with self._lock:
            return name in self._jobs_in(account_id, region)

    def job_status(
        self, name: str, *, account_id: str | None = None, region: str | None = None
    ) -> JobStatus:
        with self._lock:
            return self._job(name, account_id, region).status

    def candidates(
        self, name: str, *, account_id: str | None = None, region: str | None = None
    ) -> list[Json]:
        """A copy of a job's candidates, in creation order."""
        with self._lock:
            return copy.deepcopy(self._job(name, account_id, region).run.candidates)
