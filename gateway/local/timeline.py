"""When each candidate of a job is trained and how it ends: one plan, whatever the job status.

The local SageMaker has no clock-driven lifecycle, so a job's candidates follow a virtual
timeline: they are launched in waves of parallel training jobs after a data-analysis phase. A
job that is still running (or was stopped/failed) is a *snapshot* of that timeline: only
candidates created before the snapshot exist, candidates that ended before it keep their
outcome, the rest are running (InProgress/Stopping) or were cut off (Stopped). Because every
status is derived from the same plan, moving a job from InProgress to Stopped only changes the
candidates that were running.

Outcomes mirror Autopilot's tuning: most candidates complete; some fail; some are stopped early
by the tuner because they were not promising.
"""

from __future__ import annotations

import math
import random
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from gateway.local.jobs import JobSpec, JobStatus
from gateway.local.metrics import clip
from gateway.local.naming import hex_digest, name_prefix, stable_seed
from gateway.local.problem_types import TABULAR_KINDS

Fate = Literal["ok", "early_stop", "fail"]

_PARALLELISM: Final = 10
"""How many candidates Autopilot trains at once: one wave."""
SETTLE: Final = timedelta(seconds=12)
"""How long after a training job ends its candidate is last modified (metrics, artifacts)."""

_TABULAR_ALGORITHMS: Final[tuple[str, ...]] = (
    "xgboost",
    "linear-learner",
    "mlp",
    "lightgbm",
    "catboost",
    "randomforest",
    "extra-trees",
    "nn-torch",
    "fastai",
)
_DEFAULT_TABULAR_ALGORITHMS: Final = ("xgboost", "xgboost", "lightgbm", "catboost", "randomforest")

_CANDIDATE_FAILURES: Final[tuple[str, ...]] = (
    "AlgorithmError: Exception during training: Out of memory. Please use a larger instance "
    "type or reduce the size of the training data.",
    "CapacityError: Unable to provision requested ML compute capacity. Please retry using a "
    "different ML instance type.",
    "AlgorithmError: framework error: XGBoostError: Check failed: valid: Input data contains "
    "`inf` or a value too large for the objective.",
    "ClientError: Training job failed because the transformed training data has no features "
    "with non-zero variance.",
    "InternalServerError: We encountered an internal error. Please try again.",
)


@dataclass(frozen=True)
class CandidatePlan:
    """One candidate's status-independent destiny."""

    index: int
    name: str
    created: datetime
    duration: timedelta
    fate: Fate
    quality: float
    algorithm: str
    pipeline: int
    failure_reason: str
    rng_seed: int

    @property
    def ended(self) -> datetime:
        return self.created + self.duration

    @property
    def times(self) -> CandidateTimes:
        """When the candidate is created, ends and is last modified, on the virtual timeline."""
        return CandidateTimes(self.created, self.ended, self.ended + SETTLE)


@dataclass(frozen=True)
class CandidateTimes:
    """A candidate's timestamps: virtual ones, or those of a job that runs in wall-clock time."""

    created: datetime
    ended: datetime  # its training job's end: EndTime
    settled: datetime  # metrics and artifacts are in: its last LastModifiedTime


@dataclass(frozen=True)
class Timeline:
    """Every candidate's plan, and the job phases their times are drawn from."""

    plans: list[CandidatePlan]
    analysis: timedelta  # the data-analysis phase before the first wave
    wave_gap: timedelta  # between the launches of two waves


def _tabular_algorithms(spec: JobSpec) -> tuple[str, ...]:
    chosen = tuple(a for a in spec.algorithms if a in _TABULAR_ALGORITHMS)
    return chosen or _DEFAULT_TABULAR_ALGORITHMS


def plan_job(spec: JobSpec) -> Timeline:
    """The timeline of ``spec``'s candidates."""
    job_rng = random.Random(stable_seed(spec.name, "job"))
    tabular = spec.problem in TABULAR_KINDS
    analysis = timedelta(seconds=job_rng.randint(12 * 60, 35 * 60))
    if tabular:
        wave_gap = timedelta(seconds=job_rng.randint(5 * 60, 14 * 60))
    else:
        wave_gap = timedelta(seconds=job_rng.randint(45 * 60, 150 * 60))
    tuning_id = "".join(job_rng.choices(string.ascii_letters + string.digits, k=10))
    prefix = name_prefix(spec.name)
    algorithms = _tabular_algorithms(spec) if tabular else ("",)
    plans: list[CandidatePlan] = []
    for index in range(spec.max_candidates):
        rng = random.Random(stable_seed(spec.name, "candidate", index))
        wave = index // _PARALLELISM
        created = (
            spec.creation_time + analysis + wave * wave_gap + timedelta(seconds=rng.randint(0, 30))
        )
        roll = rng.random()
        fate: Fate
        if not tabular or index == 0:
            fate = "ok"
        else:
            fate = "fail" if roll < 0.08 else "early_stop" if roll < 0.15 else "ok"
        low, high = {"ok": (0.55, 0.95), "early_stop": (0.15, 0.45), "fail": (0.02, 0.3)}[fate]
        duration = wave_gap * rng.uniform(low, high)
        progress = index / max(spec.max_candidates - 1, 1)
        quality = clip(0.25 * rng.random() + 0.5 * math.sqrt(progress) + 0.25 * rng.random())
        if not tabular:
            quality = clip(0.75 + 0.25 * rng.random())
        if fate == "early_stop":
            quality *= 0.5
        digest = hex_digest(spec.name, index, length=8)
        plans.append(
            CandidatePlan(
                index=index,
                name=f"{prefix}-{tuning_id}-{index + 1:03d}-{digest}",
                created=created.replace(microsecond=0),
                duration=timedelta(seconds=int(duration.total_seconds())),
                fate=fate,
                quality=quality,
                algorithm=rng.choice(algorithms),
                pipeline=index % min(spec.max_candidates, _PARALLELISM),
                failure_reason=rng.choice(_CANDIDATE_FAILURES),
                rng_seed=stable_seed(spec.name, "candidate-detail", index),
            )
        )
    return Timeline(plans, analysis, wave_gap)


def snapshot_time(spec: JobSpec, status: JobStatus, timeline: Timeline) -> datetime:
    """The virtual moment a non-completed job is observed at (running, stopped or failed)."""
    waves = max(1, math.ceil(spec.max_candidates / _PARALLELISM))
    fraction = 0.3 if status == "Failed" else 0.6
    wave = max(1, math.ceil(waves * fraction)) - 1
    into_wave = max(timedelta(seconds=45), timeline.wave_gap * 0.35)
    return spec.creation_time + timeline.analysis + wave * timeline.wave_gap + into_wave
