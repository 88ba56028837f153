"""What changed in a running job between two reads of it: the events subscribers are sent.

SageMaker emits no candidate events, so the gateway reads a job's description and whole
candidate set once per poll and compares it with the previous read. Pure logic, no I/O.
Within one round the events come in a fixed order: new candidates (oldest first), candidates
whose status changed, a new best candidate, then the job's own status, so that a job's
terminal ``JOB_STATUS_CHANGED`` is always the last event of its last round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from gateway.sagemaker.leaderboards import JobCandidates, Ranked
from gateway.sagemaker.planner import ConnectionPage
from gateway.sagemaker.upstream import TERMINAL_STATUSES
from gateway.shapes import AWS


class ChangeKind(Enum):
    ADDED = "ADDED"
    STATUS_CHANGED = "STATUS_CHANGED"
    NEW_BEST = "NEW_BEST"
    JOB_STATUS_CHANGED = "JOB_STATUS_CHANGED"


@dataclass(frozen=True, slots=True)
class Change:
    """One event: ``job`` is the job's description as read in the round that saw it."""

    kind: ChangeKind
    job: AWS
    candidate: AWS | None
    at: datetime


def has_finished(description: AWS) -> bool:
    """Whether a job's description shows a terminal status: the job changes no more."""
    return description.get("AutoMLJobStatus") in TERMINAL_STATUSES


def is_finished(snapshot: JobCandidates) -> bool:
    return has_finished(snapshot.description)


def _job_status(description: AWS) -> tuple[object, object]:
    return description.get("AutoMLJobStatus"), description.get("AutoMLJobSecondaryStatus")


def _by_creation(candidate: AWS) -> tuple[str, str]:
    created = candidate.get("CreationTime")
    return (created.isoformat() if isinstance(created, datetime) else "", _name(candidate))


def _name(candidate: AWS) -> str:
    return str(candidate.get("CandidateName", ""))


def changes(before: JobCandidates, after: JobCandidates, at: datetime) -> list[Change]:
    """The events that take ``before`` to ``after``, in the order subscribers get them.

    ``JOB_STATUS_CHANGED`` covers the job's status and its secondary status (the stage it is
    in); ``NEW_BEST`` carries the new best candidate, from the set when it is listed there.
    """
    job = after.description
    known = {_name(c): c for c in before.candidates}
    added = [c for c in after.candidates if _name(c) not in known]
    moved = [
        c
        for c in after.candidates
        if _name(c) in known and c.get("CandidateStatus") != known[_name(c)].get("CandidateStatus")
    ]
    found = [Change(ChangeKind.ADDED, job, c, at) for c in sorted(added, key=_by_creation)]
    found += [
        Change(ChangeKind.STATUS_CHANGED, job, c, at) for c in sorted(moved, key=_by_creation)
    ]
    best = after.best_candidate_name
    if best is not None and best != before.best_candidate_name:
        listed = next((c for c in after.candidates if _name(c) == best), None)
        found.append(Change(ChangeKind.NEW_BEST, job, listed or job["BestCandidate"], at))
    if _job_status(job) != _job_status(before.description):
        found.append(Change(ChangeKind.JOB_STATUS_CHANGED, job, None, at))
    return found


def final_change(snapshot: JobCandidates, at: datetime) -> Change:
    """The one event a subscription to a job that has already finished gets."""
    return Change(ChangeKind.JOB_STATUS_CHANGED, snapshot.description, None, at)


def leaderboard_state(page: ConnectionPage[Ranked], total: int, snapshot: JobCandidates) -> object:
    """What a leaderboard's page shows, to tell a change from an identical repeat: each listed
    candidate's rank and every member SageMaker gave of it, whether more follow, how many
    there are, and which one is the job's best."""
    return (
        [(item.rank, item.entry.job_name, item.entry.candidate) for item, _ in page.edges],
        page.has_next_page,
        total,
        snapshot.best_candidate_name,
    )
