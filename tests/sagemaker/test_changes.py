"""Two reads of a job into the events subscribers get, and leaderboard change detection."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.sagemaker.changes import (
    ChangeKind,
    changes,
    final_change,
    is_finished,
    leaderboard_state,
)
from gateway.sagemaker.cursors import CursorCodec
from gateway.sagemaker.leaderboards import Leaderboard
from gateway.sagemaker.planner import PageLimits
from gateway.sagemaker.ranking import Order, OrderBy
from tests.sagemaker.live_data import candidate, read

AT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def kinds_and_names(before: object, after: object) -> list[tuple[str, str | None]]:
    found = changes(before, after, AT)  # type: ignore[arg-type]
    return [
        (c.kind.value, None if c.candidate is None else c.candidate["CandidateName"]) for c in found
    ]


def test_nothing_changed_is_no_event() -> None:
    one = read(candidate(1))
    assert changes(one, read(candidate(1)), AT) == []


def test_new_candidates_come_oldest_first_whatever_sagemakers_order() -> None:
    before = read(candidate(1))
    after = read(candidate(3), candidate(1), candidate(2))
    assert kinds_and_names(before, after) == [
        ("ADDED", "churn-live-002"),
        ("ADDED", "churn-live-003"),
    ]


def test_status_changes_come_after_additions_then_the_best_then_the_job() -> None:
    before = read(candidate(1), candidate(2))
    after = read(
        candidate(1, "Completed", 0.8),
        candidate(2),
        candidate(3, "Completed", 0.7),
        status="Completed",
        secondary="Completed",
        best="churn-live-001",
    )
    assert kinds_and_names(before, after) == [
        ("ADDED", "churn-live-003"),
        ("STATUS_CHANGED", "churn-live-001"),
        ("NEW_BEST", "churn-live-001"),
        ("JOB_STATUS_CHANGED", None),
    ]
    assert all(c.at == AT and c.job is after.description for c in changes(before, after, AT))


def test_a_new_best_is_reported_once_and_carries_the_listed_candidate() -> None:
    first = read(candidate(1, "Completed", 0.5), best="churn-live-001")
    second = read(
        candidate(1, "Completed", 0.5), candidate(2, "Completed", 0.9), best="churn-live-002"
    )
    (added, best) = changes(first, second, AT)
    assert (added.kind, best.kind) == (ChangeKind.ADDED, ChangeKind.NEW_BEST)
    assert best.candidate is second.candidates[1]
    assert changes(second, second, AT) == []


def test_a_best_candidate_missing_from_the_set_comes_from_the_description() -> None:
    listed = candidate(1, "Completed", 0.5)
    before = read(listed)
    after = read(listed, best="churn-live-001")
    after.candidates.clear()
    best = [c for c in changes(before, after, AT) if c.kind is ChangeKind.NEW_BEST]
    assert best[0].candidate == listed


def test_a_secondary_status_change_is_a_job_status_change() -> None:
    before = read(secondary="AnalyzingData")
    after = read(secondary="FeatureEngineering")
    assert kinds_and_names(before, after) == [("JOB_STATUS_CHANGED", None)]


def test_finished_is_a_terminal_status() -> None:
    assert not is_finished(read(status="InProgress"))
    assert not is_finished(read(status="Stopping"))
    assert all(is_finished(read(status=s)) for s in ("Completed", "Failed", "Stopped"))
    done = read(status="Stopped", secondary="Stopped")
    assert final_change(done, AT).kind is ChangeKind.JOB_STATUS_CHANGED


def board_of(snapshot: object) -> Leaderboard:
    return Leaderboard.of(
        snapshot.entries(),  # type: ignore[attr-defined]
        orders=[Order(OrderBy.OBJECTIVE)],
        where=None,
        objectives={},
        fingerprint="f",
        codec=CursorCodec(b"k" * 32),
        limits=PageLimits(default_size=25, max_size=1000, max_upstream_calls=20),
    )


def state(snapshot: object, first: int) -> object:
    board = board_of(snapshot)
    return leaderboard_state(board.page(first=first), len(board.ranked), snapshot)  # type: ignore[arg-type]


def test_the_top_is_unchanged_when_only_candidates_below_it_change() -> None:
    before = read(candidate(1, "Completed", 0.9), candidate(2))
    after = read(candidate(1, "Completed", 0.9), candidate(2, "Failed"))
    assert state(before, 1) == state(after, 1)
    assert state(before, 2) != state(after, 2)


def test_the_top_changes_with_a_new_leader_a_new_count_or_a_new_best() -> None:
    before = read(candidate(1, "Completed", 0.5))
    leader = read(candidate(1, "Completed", 0.5), candidate(2, "Completed", 0.9))
    assert state(before, 1) != state(leader, 1)  # another candidate on top, and one more
    best = read(candidate(1, "Completed", 0.5), best="churn-live-001")
    assert state(before, 1) != state(best, 1)  # isBest changed for the one shown
