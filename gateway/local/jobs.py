"""The AutoML job model: what a job was created with, resolves to, and has produced so far.

V1 (CreateAutoMLJob) and V2 (CreateAutoMLJobV2) jobs are one type, as on AWS, where they share
one namespace; each keeps the request it was created with so describe can answer with it as sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal, Protocol, get_args

from gateway.local.problem_types import ProblemKind
from gateway.shapes import AWS

if TYPE_CHECKING:
    from gateway.local.live_runs import LiveRun

JobStatus = Literal["Completed", "InProgress", "Failed", "Stopped", "Stopping"]
JOB_STATUSES: Final[tuple[JobStatus, ...]] = get_args(JobStatus)


@dataclass(frozen=True)
class JobSpec:
    """What candidate generation needs to know about a job (all of it from the request)."""

    name: str
    account_id: str
    region: str
    problem: ProblemKind
    objective: str
    max_candidates: int
    output_path: str
    creation_time: datetime
    algorithms: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobRun:
    """A job's candidates and timestamps as of a given status."""

    candidates: list[AWS]
    last_modified_time: datetime
    end_time: datetime | None
    secondary_status: str | None = None
    """AutoMLJobSecondaryStatus when the run says (a live one); else the status implies it."""


@dataclass
class AutoMLJob:
    """One AutoML job, whichever API created it."""

    version: Literal[1, 2]
    request: AWS  # as the client sent it, in the terms of the API ``version``
    arn: str
    config_key: str  # the AutoMLProblemTypeConfig member, e.g. "TabularJobConfig"
    spec: JobSpec
    completion: AWS  # resolved CompletionCriteria
    definitions_only: bool  # GenerateCandidateDefinitionsOnly
    status: JobStatus
    failure_reason: str | None
    run: JobRun
    live: LiveRun | None = None
    """How the job runs in wall-clock time, if it does (see live_runs.py); None: it is static."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def tabular(self) -> bool:
        return self.config_key == "TabularJobConfig"


class RunObserver(Protocol):
    """Told whenever a job's candidates are replaced: on creation, on every status change, and
    when a live job gains or finishes candidates."""

    def run_changed(self, job: AutoMLJob, before: Sequence[AWS]) -> None:
        """``job.run`` is new; ``before`` are the candidates it replaced (none for a new job)."""
