"""Jobs that run in wall-clock time: the tag ``local-sagemaker:duration-seconds`` = N.

A job created with that tag is InProgress for N seconds, through Autopilot's secondary statuses
(Starting, AnalyzingData, FeatureEngineering, ModelTuning or TrainingModels, then the
explainability and model-insights reports, and DeployingModel when it deploys), and then
Completed. Its candidates are those of the job's virtual timeline (see timeline.py), the same
names, fates and metrics as the job would have had at once, with their times moved into the
ModelTuning phase: each appears InProgress, then ends Completed, Failed or (stopped early by the
tuner) Stopping and Stopped, so BestCandidate changes as better ones finish. StopAutoMLJob cuts
the run: the job is Stopping for a few seconds, its running candidates with it, then Stopped.

Everything here is a pure function of the job, its duration, the moment it was told to stop and
the moment it is observed (:func:`observe`), evaluated whenever a request comes in.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from moto.sagemaker.exceptions import ValidationError

from gateway.local.candidate_generation import (
    STOPPED_OBJECTIVE_STATUS,
    candidate_steps,
    finished_candidate,
    job_metrics_seed,
)
from gateway.local.jobs import JobRun, JobSpec, JobStatus
from gateway.local.problem_types import TABULAR_KINDS
from gateway.local.timeline import CandidatePlan, CandidateTimes, plan_job
from gateway.shapes import AWS

DURATION_TAG: Final = "local-sagemaker:duration-seconds"
"""The tag whose value, in seconds, makes a job run for that long instead of finishing at once."""
MAX_DURATION: Final = timedelta(days=7)

_TUNING: Final = "ModelTuning"
_PHASE_WEIGHTS: Final[dict[str, float]] = {
    "Starting": 2,
    "AnalyzingData": 4,
    "FeatureEngineering": 4,
    _TUNING: 75,
    "TrainingModels": 75,
    "GeneratingExplainabilityReport": 7,
    "GeneratingModelInsightsReport": 5,
    "DeployingModel": 3,
}
"""How much of a job's duration each secondary status takes, relative to the others."""
_MIN_STOP: Final = timedelta(seconds=1)
_MAX_STOP: Final = timedelta(seconds=30)
_MS: Final = timedelta(milliseconds=1)


def _ms(moment: datetime) -> datetime:
    """``moment`` truncated to milliseconds, SageMaker's precision."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def requested_duration(tags: Sequence[AWS] | None) -> timedelta | None:
    """The duration a create request's tags ask for, or None (the job finishes at once)."""
    values = [t.get("Value", "") for t in tags or () if t.get("Key") == DURATION_TAG]
    if not values:
        return None
    value = values[-1]
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= MAX_DURATION.total_seconds():  # also refuses NaN
        raise ValidationError(
            f"The tag {DURATION_TAG} must be a number of seconds greater than 0 and at most "
            f"{int(MAX_DURATION.total_seconds())}, not {value!r}."
        )
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class Phase:
    """A stretch of a job's run with one AutoMLJobSecondaryStatus."""

    status: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class LivePlan:
    """When a job of a given duration goes through each phase, and each candidate's times."""

    spec: JobSpec
    duration: timedelta
    phases: tuple[Phase, ...]
    final_status: str  # the secondary status once Completed
    candidates: tuple[tuple[CandidatePlan, CandidateTimes], ...]

    @property
    def end(self) -> datetime:
        return self.phases[-1].end

    @property
    def stop_delay(self) -> timedelta:
        """How long the job stays Stopping after StopAutoMLJob."""
        return min(max(self.duration / 20, _MIN_STOP), _MAX_STOP) // _MS * _MS

    def phase_at(self, moment: datetime) -> Phase:
        return next((p for p in self.phases if moment < p.end), self.phases[-1])


def _phase_names(spec: JobSpec, *, definitions_only: bool, deploys: bool) -> list[str]:
    if definitions_only:
        return ["Starting", "AnalyzingData", "FeatureEngineering"]
    if spec.problem in TABULAR_KINDS:
        names = ["Starting", "AnalyzingData", "FeatureEngineering", _TUNING]
    else:
        names = ["Starting", "AnalyzingData", "TrainingModels"]
    names += ["GeneratingExplainabilityReport", "GeneratingModelInsightsReport"]
    return [*names, "DeployingModel"] if deploys else names


def _phases(start: datetime, duration: timedelta, names: list[str]) -> tuple[Phase, ...]:
    total = sum(_PHASE_WEIGHTS[n] for n in names)
    phases, at, weight = [], start, 0.0
    for name in names:
        weight += _PHASE_WEIGHTS[name]
        end = _ms(start + duration * (weight / total))
        phases.append(Phase(name, at, end))
        at = end
    return tuple(phases)


def plan_live_run(
    spec: JobSpec, duration: timedelta, *, definitions_only: bool = False, deploys: bool = False
) -> LivePlan:
    """The live plan of ``spec`` over ``duration`` from its creation time.

    The candidates' virtual training window (from the end of data analysis to the last one
    settled) is stretched linearly onto the training phase, so their order, overlaps and
    relative lengths are Autopilot's.
    """
    names = _phase_names(spec, definitions_only=definitions_only, deploys=deploys)
    phases = _phases(spec.creation_time, duration, names)
    timeline = plan_job(spec)
    training = next((p for p in phases if p.status in {_TUNING, "TrainingModels"}), None)
    candidates: list[tuple[CandidatePlan, CandidateTimes]] = []
    if training is not None and timeline.plans:
        first = spec.creation_time + timeline.analysis
        last = max(p.times.settled for p in timeline.plans)
        scale = (training.end - training.start) / max(last - first, _MS)

        def real(virtual: datetime) -> datetime:
            return _ms(training.start + (min(max(virtual, first), last) - first) * scale)

        for plan in timeline.plans:
            times = plan.times
            moved = CandidateTimes(real(times.created), real(times.ended), real(times.settled))
            candidates.append((plan, moved))
    final = "CandidateDefinitionsGenerated" if definitions_only else "Completed"
    return LivePlan(spec, duration, phases, final, tuple(candidates))


def _running(spec: JobSpec, plan: CandidatePlan, times: CandidateTimes, now: datetime) -> AWS:
    """A candidate still training at ``now`` (or, stopped early by the tuner, stopping)."""
    if now >= times.ended:
        status = "Stopping" if plan.fate == "early_stop" else "InProgress"
        touched = times.ended
    else:
        beat = max((times.ended - times.created) / 4, _MS)
        status = "InProgress"
        touched = _ms(times.created + beat * ((now - times.created) // beat))
    return {
        "CandidateName": plan.name,
        "CandidateSteps": candidate_steps(spec, plan),
        "CandidateStatus": status,
        "ObjectiveStatus": "Pending",
        "CreationTime": times.created,
        "LastModifiedTime": min(touched, now),
    }


def _cut_off(
    spec: JobSpec,
    plan: CandidatePlan,
    times: CandidateTimes,
    cut: datetime,
    delay: timedelta,
    now: datetime,
) -> AWS:
    """A candidate that was training when the job was told to stop: Stopping, then Stopped."""
    end = _ms(cut + delay * ((plan.index % 7 + 1) / 8))
    candidate: AWS = {
        "CandidateName": plan.name,
        "CandidateSteps": candidate_steps(spec, plan),
        "CreationTime": times.created,
    }
    if now < end:
        candidate.update(
            CandidateStatus="Stopping", ObjectiveStatus="Pending", LastModifiedTime=cut
        )
    else:
        candidate.update(
            CandidateStatus="Stopped",
            ObjectiveStatus=STOPPED_OBJECTIVE_STATUS,
            EndTime=end,
            LastModifiedTime=end,
        )
    return candidate


@dataclass(frozen=True)
class Observation:
    """A live job as seen at one moment."""

    status: JobStatus
    run: JobRun


def observe(
    live: LivePlan,
    now: datetime,
    stopped_at: datetime | None = None,
    finished: MutableMapping[int, AWS] | None = None,
) -> Observation:
    """The job of ``live`` at ``now``, told to stop at ``stopped_at`` (if ever).

    ``finished`` may hold candidates already built (by plan index): a finished candidate never
    changes, so callers that observe a job often keep them rather than build them again.
    """
    now = _ms(now)
    spec = live.spec
    stopping = stopped_at is not None and stopped_at < live.end and stopped_at <= now
    cut = _ms(stopped_at) if stopped_at is not None and stopping else None
    horizon = min(now, cut) if cut is not None else now
    built = finished if finished is not None else {}
    seed = job_metrics_seed(spec)
    candidates: list[AWS] = []
    for plan, times in live.candidates:
        if times.created > horizon:
            continue
        if times.settled <= horizon:
            if plan.index not in built:
                built[plan.index] = finished_candidate(spec, plan, seed, times)
            candidates.append(built[plan.index])
        elif cut is None:
            candidates.append(_running(spec, plan, times, now))
        else:
            candidates.append(_cut_off(spec, plan, times, cut, live.stop_delay, now))
    touched = max((c["LastModifiedTime"] for c in candidates), default=spec.creation_time)
    if cut is not None:
        stopped = cut + live.stop_delay
        if now >= stopped:
            return Observation("Stopped", JobRun(candidates, stopped, stopped, "Stopped"))
        return Observation("Stopping", JobRun(candidates, max(cut, touched), None, "Stopping"))
    if now >= live.end:
        return Observation("Completed", JobRun(candidates, live.end, live.end, live.final_status))
    phase = live.phase_at(now)
    return Observation(
        "InProgress", JobRun(candidates, max(phase.start, touched), None, phase.status)
    )


@dataclass
class LiveRun:
    """A job's live plan, when it was told to stop, and its finished candidates built so far."""

    plan: LivePlan
    stopped_at: datetime | None = None
    finished: dict[int, AWS] = field(default_factory=dict)

    def observe(self, now: datetime) -> Observation:
        return observe(self.plan, now, self.stopped_at, self.finished)
