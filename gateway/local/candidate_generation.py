"""A job's Autopilot candidates as of a status: deterministic, I/O-free and wire-shaped.

Everything here is a pure function of a :class:`~gateway.local.jobs.JobSpec` and a job status:
the same job name always yields the same candidates, so seeded demo data and API-created jobs
are reproducible across processes. The output is ``AutoMLCandidate`` dicts as botocore's
service model defines them, so the store can send candidates as they are.

Candidates that end on their own mirror Autopilot's tuning: a failed one has ObjectiveStatus
Failed, a FailureReason and no final metric; one stopped early by the tuner is Stopped but keeps
the metric it reached (ObjectiveStatus Succeeded). Candidates cut off by a job stop or failure
are Stopped without a metric.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Final

from gateway.local.containers import deep_learning_containers, inference_containers
from gateway.local.jobs import JobRun, JobSpec, JobStatus
from gateway.local.metrics import candidate_metrics, objective_type, rounded, validation_metrics
from gateway.local.naming import hex_digest, name_prefix, resource_name, sagemaker_arn, stable_seed
from gateway.local.problem_types import TABULAR_KINDS
from gateway.local.timeline import SETTLE, CandidatePlan, CandidateTimes, plan_job, snapshot_time
from gateway.shapes import AWS

STOPPED_OBJECTIVE_STATUS: Final = "Failed"
"""ObjectiveStatus of a candidate that was cut off by a job stop/failure before reporting a
final metric (AWS does not document this case; 'Failed' says the objective is not coming)."""
_STOP_DELAY: Final = timedelta(seconds=90)
"""How long the candidates running when a job stops or fails take to stop, at the most."""


def candidate_steps(spec: JobSpec, plan: CandidatePlan) -> list[AWS]:
    """CandidateSteps: the processing, training and transform jobs that made the candidate."""
    prefix = name_prefix(spec.name)
    if spec.problem in TABULAR_KINDS:
        processing = resource_name(prefix, "db-1", hex_digest(spec.name, "db"))
        dpp = f"dpp{plan.pipeline}"
        preprocessing = resource_name(prefix, f"{dpp}-1", hex_digest(spec.name, dpp))
        transform = resource_name(prefix, f"{dpp}-rpb-1", hex_digest(spec.name, dpp, "rpb"))
        steps = [
            ("ProcessingJob", "processing-job", processing),
            ("TrainingJob", "training-job", preprocessing),
            ("TransformJob", "transform-job", transform),
            ("TrainingJob", "training-job", plan.name),
        ]
    else:
        forecasting = spec.problem == "TimeSeriesForecasting"
        middle = "ts-dp-1" if forecasting else "dv-1"
        evaluation = "ts-bt-1" if forecasting else "eval-1"
        steps = [
            (
                "ProcessingJob",
                "processing-job",
                resource_name(prefix, middle, hex_digest(spec.name)),
            ),
            ("TrainingJob", "training-job", plan.name),
            (
                "TransformJob",
                "transform-job",
                resource_name(prefix, evaluation, hex_digest(spec.name, plan.index)),
            ),
        ]
    return [
        {
            "CandidateStepType": f"AWS::SageMaker::{kind}",
            "CandidateStepArn": sagemaker_arn(spec.region, spec.account_id, resource, name),
            "CandidateStepName": name,
        }
        for kind, resource, name in steps
    ]


def _artifacts(spec: JobSpec, plan: CandidatePlan) -> AWS:
    docs = f"{spec.output_path.rstrip('/')}/{spec.name}/documentation"
    locations = {
        "Explainability": f"{docs}/explainability/{plan.name}/output",
        "ModelInsights": f"{docs}/model_insights/{plan.name}/output",
    }
    if spec.problem == "TimeSeriesForecasting":
        locations["BacktestResults"] = f"{docs}/backtest_results/{plan.name}/output"
    return locations


def job_metrics_seed(spec: JobSpec) -> int:
    """The seed of the metrics a job's candidates share (e.g. its dataset's class balance)."""
    return stable_seed(spec.name, "job-metrics")


def finished_candidate(
    spec: JobSpec, plan: CandidatePlan, job_rng_seed: int, times: CandidateTimes | None = None
) -> AWS:
    """A candidate whose training ended on its own (Completed, early-Stopped or Failed).

    ``times`` are the plan's own unless given (a job that runs in wall-clock time moves them).
    """
    times = times or plan.times
    candidate: AWS = {"CandidateName": plan.name}
    if plan.fate == "fail":
        candidate.update(
            ObjectiveStatus="Failed",
            CandidateSteps=candidate_steps(spec, plan),
            CandidateStatus="Failed",
            CreationTime=times.created,
            EndTime=times.ended,
            LastModifiedTime=times.settled,
            FailureReason=plan.failure_reason,
        )
        return candidate
    validation = validation_metrics(
        spec.problem,
        plan.quality,
        random.Random(job_rng_seed),
        random.Random(plan.rng_seed),
    )
    candidate["FinalAutoMLJobObjectiveMetric"] = {
        "Type": objective_type(spec.objective),
        "MetricName": spec.objective,
        "Value": rounded(validation[spec.objective]),
        "StandardMetricName": spec.objective,
    }
    containers = inference_containers(spec, plan)
    properties: AWS = {}
    if plan.fate == "ok":
        properties["CandidateArtifactLocations"] = _artifacts(spec, plan)
    properties["CandidateMetrics"] = candidate_metrics(
        spec.problem, plan.algorithm, plan.rng_seed, validation, spec.objective
    )
    candidate.update(
        ObjectiveStatus="Succeeded",
        CandidateSteps=candidate_steps(spec, plan),
        CandidateStatus="Completed" if plan.fate == "ok" else "Stopped",
        InferenceContainers=containers,
        CreationTime=times.created,
        EndTime=times.ended,
        LastModifiedTime=times.settled,
        CandidateProperties=properties,
    )
    if spec.problem in {"TextClassification", "ImageClassification"}:
        definitions = deep_learning_containers(spec, plan)
        candidate["InferenceContainers"] = definitions["CPU"]
        candidate["InferenceContainerDefinitions"] = definitions
    return candidate


def _unfinished(spec: JobSpec, plan: CandidatePlan, status: JobStatus, snapshot: datetime) -> AWS:
    """A candidate still training at the snapshot: running, being stopped or cut off."""
    candidate: AWS = {"CandidateName": plan.name, "CandidateSteps": candidate_steps(spec, plan)}
    candidate["CreationTime"] = plan.created
    if status in {"Stopped", "Failed"}:
        end = snapshot + _STOP_DELAY * ((plan.index % 7 + 1) / 8)
        candidate.update(
            CandidateStatus="Stopped",
            ObjectiveStatus=STOPPED_OBJECTIVE_STATUS,
            EndTime=end,
            LastModifiedTime=end,
        )
        return candidate
    stopping = status == "Stopping" or plan.fate == "early_stop"
    touched = max(plan.created, snapshot - timedelta(seconds=plan.index % 40 + 1))
    candidate.update(
        CandidateStatus="Stopping" if stopping else "InProgress",
        ObjectiveStatus="Pending",
        LastModifiedTime=touched,
    )
    return candidate


def generate_run(spec: JobSpec, status: JobStatus) -> JobRun:
    """The candidates and job timestamps of ``spec`` as observed in ``status``."""
    timeline = plan_job(spec)
    job_seed = job_metrics_seed(spec)
    if status == "Completed":
        analysed = spec.creation_time + timeline.analysis
        candidates = [finished_candidate(spec, plan, job_seed) for plan in timeline.plans]
        last_end = max((c["EndTime"] for c in candidates), default=analysed)
        wrap_up = timedelta(seconds=random.Random(job_seed).randint(8 * 60, 25 * 60))
        end = last_end + wrap_up if candidates else analysed
        return JobRun(candidates, last_modified_time=end, end_time=end)

    snapshot = snapshot_time(spec, status, timeline)
    candidates = []
    for plan in timeline.plans:
        if plan.created > snapshot:
            continue
        if plan.ended + SETTLE <= snapshot:
            candidates.append(finished_candidate(spec, plan, job_seed))
        else:
            candidates.append(_unfinished(spec, plan, status, snapshot))
    if status in {"Stopped", "Failed"}:
        end = snapshot + _STOP_DELAY + timedelta(seconds=30)
        return JobRun(candidates, last_modified_time=end, end_time=end)
    touched = snapshot + timedelta(seconds=20) if status == "Stopping" else snapshot
    return JobRun(candidates, last_modified_time=touched, end_time=None)
