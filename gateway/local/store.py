"""In-memory Autopilot state of the local SageMaker, per (account, region).

moto's own AutoML model answers with placeholder data (a fixed "best_candidate", a status that
is always InProgress, no candidates at all), so the local SageMaker keeps AutoML jobs here
instead, outside moto's process-global backends: every :class:`LocalAutopilot` is isolated.
V1 (CreateAutoMLJob) and V2 (CreateAutoMLJobV2) jobs share one namespace, as on AWS, and each
can be described with either API where AWS allows it.

A job created through the API is Completed at once, with all its candidates, unless it is tagged
``local-sagemaker:duration-seconds``: then it runs for that long in wall-clock time (see
live_runs.py), and every request first brings it up to the store's clock. ``set_job_status``
moves a job to any status (for seeding and tests) and regenerates its candidates consistently;
StopAutoMLJob stops a running job at once, or a live one over a few seconds of Stopping.
An optional :class:`~gateway.local.jobs.RunObserver` hears of every new set of candidates (the
local SageMaker's server uses one to keep the candidates' reports in its S3).

Operations take the request as parsed by moto (a dict shaped like botocore's input shape) and
return dicts shaped like the output shape, raising moto's SageMaker exceptions on errors.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, Literal

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError

from gateway.local.candidate_generation import generate_run
from gateway.local.descriptions import describe_v1, describe_v2
from gateway.local.faults import Faults
from gateway.local.job_creation import resolve_new_job
from gateway.local.jobs import JOB_STATUSES, AutoMLJob, JobSpec, JobStatus, RunObserver
from gateway.local.listing import list_candidates, list_jobs
from gateway.local.live_runs import LiveRun, plan_live_run, requested_duration
from gateway.local.naming import sagemaker_arn
from gateway.local.next_tokens import NextTokenCodec
from gateway.local.request_translation import v1_to_v2
from gateway.local.validation import validate_request
from gateway.local.wire import aware, current_time
from gateway.shapes import AWS

DEFAULT_FAILURE_REASON: Final = (
    "ClientError: The AutoML job failed because no candidate could be trained successfully. "
    "Check the failure reasons of the candidates' training jobs."
)


class LocalAutopilot:
    """AutoML jobs and their candidates for every (account, region), safe across threads."""

    def __init__(
        self,
        default_region: str = "us-east-1",
        default_account_id: str = DEFAULT_ACCOUNT_ID,
        *,
        token_key: bytes | None = None,
        observer: RunObserver | None = None,
        clock: Callable[[], datetime] = current_time,
    ) -> None:
        self.default_region = default_region
        self.default_account_id = default_account_id
        self._jobs: dict[tuple[str, str], dict[str, AutoMLJob]] = {}
        self._lock = threading.RLock()
        self._tokens = NextTokenCodec(token_key)
        self.faults = Faults()
        """Failures to answer with instead of the real thing, for tests (see faults.py)."""
        self._observer = observer
        self._clock = clock
        """The wall clock that live jobs run by; tests may pass their own."""

    # -- helpers ---------------------------------------------------------------------------

    def _scope(self, account_id: str | None, region: str | None) -> tuple[str, str]:
        return (account_id or self.default_account_id, region or self.default_region)

    def _jobs_in(self, account_id: str | None, region: str | None) -> dict[str, AutoMLJob]:
        return self._jobs.setdefault(self._scope(account_id, region), {})

    def _job(self, name: str, account_id: str | None, region: str | None) -> AutoMLJob:
        """The job as of now (a live one is brought up to the clock first)."""
        job = self._jobs_in(account_id, region).get(name)
        if job is None:
            raise ResourceNotFound(f"Could not find AutoML job with name {name}.")
        self._advance(job)
        return job

    def _advance(self, job: AutoMLJob) -> None:
        """Bring a live job to the clock's moment; the observer hears of new candidates."""
        if job.live is None:
            return
        seen = job.live.observe(self._clock())
        before = job.run.candidates
        changed = _progress(job.status, before) != _progress(seen.status, seen.run.candidates)
        job.status, job.run = seen.status, seen.run
        if changed and self._observer is not None:
            self._observer.run_changed(job, before)

    def _create(
        self,
        version: Literal[1, 2],
        request: AWS,
        account_id: str | None,
        region: str | None,
        now: datetime | None,
    ) -> AWS:
        """Create a job from a validated request of either API, through its V2 form."""
        new = resolve_new_job(request if version == 2 else v1_to_v2(request), version=version)
        account_id, region = self._scope(account_id, region)
        duration = requested_duration(request.get("Tags"))
        name = request["AutoMLJobName"]
        arn = sagemaker_arn(region, account_id, "automl-job", name)
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
                problem=new.problem,
                objective=new.objective,
                max_candidates=new.max_candidates,
                output_path=request["OutputDataConfig"]["S3OutputPath"],
                creation_time=aware(now) if now else self._clock(),
                algorithms=new.algorithms,
            )
            live = None
            if duration is not None:
                plan = plan_live_run(
                    spec,
                    duration,
                    definitions_only=new.definitions_only,
                    deploys=_deploys(request),
                )
                live = LiveRun(plan)
            seen = live.observe(self._clock()) if live else None
            job = jobs[name] = AutoMLJob(
                version=version,
                request=copy.deepcopy(request),
                arn=arn,
                config_key=new.config_key,
                spec=spec,
                completion=new.completion,
                definitions_only=new.definitions_only,
                status=seen.status if seen else "Completed",
                failure_reason=None,
                run=seen.run if seen else generate_run(spec, "Completed"),
                live=live,
            )
            if self._observer is not None:
                self._observer.run_changed(job, [])
        return {"AutoMLJobArn": arn}

    # -- SageMaker API -----------------------------------------------------------------------

    def create_auto_ml_job(
        self,
        params: Mapping[str, Any],
        *,
        account_id: str | None = None,
        region: str | None = None,
        now: datetime | None = None,
    ) -> AWS:
        """CreateAutoMLJob (V1, tabular only)."""
        validate_request("CreateAutoMLJob", params)
        return self._create(1, dict(params), account_id, region, now)

    def create_auto_ml_job_v2(
        self,
        params: Mapping[str, Any],
        *,
        account_id: str | None = None,
        region: str | None = None,
        now: datetime | None = None,
    ) -> AWS:
        """CreateAutoMLJobV2 (tabular, time-series forecasting, text and image classification)."""
        validate_request("CreateAutoMLJobV2", params)
        return self._create(2, dict(params), account_id, region, now)

    def describe_auto_ml_job(
        self, params: Mapping[str, Any], *, account_id: str | None = None, region: str | None = None
    ) -> AWS:
        """DescribeAutoMLJob, for V1 jobs and tabular V2 jobs."""
        validate_request("DescribeAutoMLJob", params)
        with self._lock:
            return describe_v1(self._job(params["AutoMLJobName"], account_id, region))

    def describe_auto_ml_job_v2(
        self, params: Mapping[str, Any], *, account_id: str | None = None, region: str | None = None
    ) -> AWS:
        """DescribeAutoMLJobV2, for V2 jobs and (as on AWS) V1 jobs."""
        validate_request("DescribeAutoMLJobV2", params)
        with self._lock:
            return describe_v2(self._job(params["AutoMLJobName"], account_id, region))

    def list_auto_ml_jobs(
        self, params: Mapping[str, Any], *, account_id: str | None = None, region: str | None = None
    ) -> AWS:
        """ListAutoMLJobs over V1 and V2 jobs (NameContains matches case-insensitively)."""
        validate_request("ListAutoMLJobs", params)
        scope = self._scope(account_id, region)
        with self._lock:
            jobs = list(self._jobs_in(*scope).values())
            for job in jobs:
                self._advance(job)
            return list_jobs(jobs, params, scope, self._tokens)

    def list_candidates_for_auto_ml_job(
        self, params: Mapping[str, Any], *, account_id: str | None = None, region: str | None = None
    ) -> AWS:
        """ListCandidatesForAutoMLJob with filters, a total sort order and bound NextTokens."""
        validate_request("ListCandidatesForAutoMLJob", params)
        scope = self._scope(account_id, region)
        with self._lock:
            candidates = self._job(params["AutoMLJobName"], *scope).run.candidates
        return list_candidates(candidates, params, scope, self._tokens)

    def stop_auto_ml_job(
        self, params: Mapping[str, Any], *, account_id: str | None = None, region: str | None = None
    ) -> AWS:
        """StopAutoMLJob: a running job is Stopped at once, and so are its running candidates.

        A live job is Stopping for a few seconds first, and so are its running candidates.

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
            if job.live is None:
                self._set_status(job, "Stopped", None)
            elif job.live.stopped_at is None:
                job.live.stopped_at = self._clock()
                self._advance(job)
        return {}

    # -- local controls ----------------------------------------------------------------------

    def _set_status(self, job: AutoMLJob, status: JobStatus, failure_reason: str | None) -> None:
        before = job.run.candidates
        job.live = None  # from now on the job stays in the status it is put in
        job.status = status
        job.failure_reason = (
            (failure_reason or DEFAULT_FAILURE_REASON) if status == "Failed" else None
        )
        job.run = generate_run(job.spec, status)
        if self._observer is not None:
            self._observer.run_changed(job, before)

    def set_job_status(
        self,
        name: str,
        status: JobStatus,
        failure_reason: str | None = None,
        *,
        account_id: str | None = None,
        region: str | None = None,
    ) -> None:
        """Put a job into ``status`` and regenerate its candidates to match (a live job stops
        running in wall-clock time and keeps this status).

        Completed: every candidate finished. InProgress/Stopping: a snapshot part-way through,
        with running candidates. Stopped: the same snapshot with running candidates stopped.
        Failed: an earlier snapshot; ``failure_reason`` (or a default) becomes FailureReason.
        """
        if status not in JOB_STATUSES:
            raise ValueError(f"status must be one of {JOB_STATUSES}, not {status!r}")
        with self._lock:
            self._set_status(self._job(name, account_id, region), status, failure_reason)

    def now(self) -> datetime:
        """The moment live jobs are at, by the store's clock."""
        return self._clock()

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
    ) -> list[AWS]:
        """A copy of a job's candidates, in creation order."""
        with self._lock:
            return copy.deepcopy(self._job(name, account_id, region).run.candidates)


def _deploys(request: AWS) -> bool:
    """Whether the job deploys its best candidate once done (through DeployingModel)."""
    config = request.get("ModelDeployConfig") or {}
    return bool(config.get("EndpointName") or config.get("AutoGenerateEndpointName"))


def _progress(status: JobStatus, candidates: list[AWS]) -> tuple[str, int, int]:
    """What changes when a live job's candidates are created or finish."""
    return status, len(candidates), sum(1 for c in candidates if "EndTime" in c)
