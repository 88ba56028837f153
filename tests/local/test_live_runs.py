"""A live job's progression as a pure function of its plan, the stop moment and the clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from moto.sagemaker.exceptions import ValidationError

from gateway.local.candidate_generation import generate_run
from gateway.local.candidate_order import best_candidate
from gateway.local.jobs import JobSpec
from gateway.local.live_runs import (
    DURATION_TAG,
    LivePlan,
    Observation,
    observe,
    plan_live_run,
    requested_duration,
)
from tests.local.shapes import sagemaker_model

START = datetime(2026, 12, 1, 12, 0, 0, 250_000, tzinfo=UTC)
TERMINAL = {"Completed", "Failed", "Stopped"}
NEXT_STATUSES = {
    "InProgress": {"InProgress", "Stopping", "Completed", "Failed", "Stopped"},
    "Stopping": {"Stopping", "Stopped"},
}
TIME_MEMBERS = ("CreationTime", "EndTime", "LastModifiedTime")


@cache
def enum(shape: str) -> set[str]:
    return set(sagemaker_model().shape_for(shape).enum)


def spec(
    name: str = "live-unit", problem: Any = "BinaryClassification", candidates: int = 40
) -> JobSpec:
    objective = {"BinaryClassification": "F1", "Regression": "MSE"}.get(problem, "Accuracy")
    return JobSpec(
        name=name,
        account_id="123456789012",
        region="us-east-1",
        problem=problem,
        objective=objective,
        max_candidates=candidates,
        output_path="s3://tests-bucket/output",
        creation_time=START,
    )


def moments(live: LivePlan, steps: int, *, after: timedelta = timedelta()) -> Iterator[datetime]:
    """``steps`` moments from the job's creation to a little past its end."""
    span = live.duration * 1.1 + after
    return (START + span * (i / steps) for i in range(steps + 1))


def secondary_sequence(observations: list[Observation]) -> list[str]:
    statuses = [o.run.secondary_status for o in observations]
    return [s for i, s in enumerate(statuses) if s is not None and (i == 0 or statuses[i - 1] != s)]


def check_consistent(seen: Observation, now: datetime) -> None:
    """What botocore's model and common sense require of one observation."""
    candidate_statuses, objective_statuses = enum("CandidateStatus"), enum("ObjectiveStatus")
    step_types = enum("CandidateStepType")
    assert seen.status in enum("AutoMLJobStatus")
    assert seen.run.secondary_status in enum("AutoMLJobSecondaryStatus")
    assert (seen.run.end_time is not None) == (seen.status in TERMINAL)
    assert START <= seen.run.last_modified_time <= max(now, START)
    for c in seen.run.candidates:
        assert c["CandidateStatus"] in candidate_statuses
        assert c["ObjectiveStatus"] in objective_statuses
        assert {s["CandidateStepType"] for s in c["CandidateSteps"]} <= step_types
        assert START <= c["CreationTime"] <= c["LastModifiedTime"] <= now
        assert ("EndTime" in c) == (c["CandidateStatus"] in TERMINAL)
        if "EndTime" in c:
            assert c["CreationTime"] <= c["EndTime"] <= c["LastModifiedTime"]
            assert seen.run.end_time is None or c["EndTime"] <= seen.run.end_time
        for member in TIME_MEMBERS:
            if member in c:
                assert c[member].microsecond % 1000 == 0  # SageMaker's millisecond precision


def run_through(
    live: LivePlan, steps: int, stopped_at: datetime | None = None
) -> list[tuple[datetime, Observation]]:
    """Observations over the whole run, each checked, and each candidate's lifecycle too."""
    seen: list[tuple[datetime, Observation]] = []
    built: dict[int, dict[str, Any]] = {}
    last: dict[str, dict[str, Any]] = {}
    modified = START
    for now in moments(live, steps, after=live.stop_delay):
        observation = observe(live, now, stopped_at, built)
        check_consistent(observation, now)
        assert observation.run.last_modified_time >= modified  # the job's LastModifiedTime moves
        modified = observation.run.last_modified_time
        current = {c["CandidateName"]: c for c in observation.run.candidates}
        assert current.keys() >= last.keys()  # candidates never disappear
        for name, before in last.items():
            after = current[name]
            if before["CandidateStatus"] in TERMINAL:
                assert after == before  # a finished candidate never changes
            else:
                assert after["CandidateStatus"] in NEXT_STATUSES[before["CandidateStatus"]]
                assert after["LastModifiedTime"] >= before["LastModifiedTime"]
        last = current
        seen.append((now, observation))
    return seen


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (None, None),
        ([{"Key": "team", "Value": "x"}], None),
        ([{"Key": DURATION_TAG, "Value": "3"}], timedelta(seconds=3)),
        ([{"Key": DURATION_TAG, "Value": "0.5"}], timedelta(milliseconds=500)),
        ([{"Key": DURATION_TAG, "Value": "604800"}], timedelta(days=7)),
    ],
)
def test_the_tag_gives_the_duration(tags: Any, expected: timedelta | None) -> None:
    assert requested_duration(tags) == expected


@pytest.mark.parametrize("value", ["", "three", "0", "-2", "nan", "inf", "604801", "1e9"])
def test_a_bad_duration_is_refused_saying_what_is_wanted(value: str) -> None:
    with pytest.raises(ValidationError, match="must be a number of seconds greater than 0"):
        requested_duration([{"Key": DURATION_TAG, "Value": value}])


def test_a_tabular_job_goes_through_autopilots_phases_and_completes() -> None:
    live = plan_live_run(spec(), timedelta(seconds=3))
    seen = run_through(live, 300)
    observations = [o for _, o in seen]
    assert secondary_sequence(observations) == [
        "Starting",
        "AnalyzingData",
        "FeatureEngineering",
        "ModelTuning",
        "GeneratingExplainabilityReport",
        "GeneratingModelInsightsReport",
        "Completed",
    ]
    statuses = [o.status for o in observations]
    assert statuses[: statuses.index("Completed")] == ["InProgress"] * statuses.index("Completed")
    assert set(statuses[statuses.index("Completed") :]) == {"Completed"}
    for now, observation in seen:
        assert (observation.status == "Completed") == (now >= START + timedelta(seconds=3))
    assert observations[-1].run.end_time == START + timedelta(seconds=3)


def test_candidates_appear_run_and_finish_over_the_tuning_phase() -> None:
    live = plan_live_run(spec(), timedelta(seconds=3))
    seen = [o for _, o in run_through(live, 300)]
    tuning = [o for o in seen if o.run.secondary_status == "ModelTuning"]
    assert all(not o.run.candidates for o in seen if o.run.secondary_status == "Starting")
    counts = [len(o.run.candidates) for o in tuning]
    assert counts == sorted(counts) and len(set(counts)) >= 4  # they come in waves
    running = [sum(c["CandidateStatus"] == "InProgress" for c in o.run.candidates) for o in tuning]
    assert max(running) == 10  # a wave trains at once
    after_tuning = [o for o in seen if o.run.secondary_status != "ModelTuning"][-1]
    assert len(after_tuning.run.candidates) == 40
    assert {c["CandidateStatus"] for c in after_tuning.run.candidates} <= TERMINAL
    lifecycles: dict[str, list[str]] = {}
    for observation in seen:
        for c in observation.run.candidates:
            history = lifecycles.setdefault(c["CandidateName"], [])
            if not history or history[-1] != c["CandidateStatus"]:
                history.append(c["CandidateStatus"])
    assert {tuple(h) for h in lifecycles.values()} <= {
        ("InProgress", "Completed"),
        ("InProgress", "Failed"),
        ("InProgress", "Stopping", "Stopped"),  # stopped early by the tuner
        ("InProgress", "Stopped"),  # the step to Stopping fell between two observations
        ("Completed",),  # created and finished between two observations
        ("Failed",),
        ("Stopped",),
    }
    assert any(h == ["InProgress", "Completed"] for h in lifecycles.values())


def test_the_best_candidate_changes_as_better_ones_finish() -> None:
    job = spec()
    live = plan_live_run(job, timedelta(seconds=3))
    bests = []
    for _, observation in run_through(live, 300):
        best = best_candidate(observation.run.candidates, job.objective)
        if best is not None and (not bests or bests[-1]["CandidateName"] != best["CandidateName"]):
            bests.append(best)
    values = [b["FinalAutoMLJobObjectiveMetric"]["Value"] for b in bests]
    assert len(bests) >= 3
    assert values == sorted(values)  # F1 is maximised: never a worse one


def test_the_finished_run_is_the_jobs_instant_run_at_other_times() -> None:
    job = spec(candidates=60)
    live = plan_live_run(job, timedelta(seconds=5))
    finished = observe(live, START + timedelta(seconds=5))
    instant = generate_run(job, "Completed")

    def timeless(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in c.items() if k not in TIME_MEMBERS} for c in candidates]

    assert timeless(finished.run.candidates) == timeless(instant.candidates)
    assert finished.run.candidates != instant.candidates  # the times did move


def test_the_run_is_a_function_of_the_moment_only() -> None:
    live = plan_live_run(spec(), timedelta(seconds=3))
    at = START + timedelta(seconds=1.7)
    cache: dict[int, dict[str, Any]] = {}
    for now in moments(live, 20):  # a cache filled along the way changes nothing
        observe(live, now, finished=cache)
    assert observe(live, at, finished=cache) == observe(live, at)
    assert observe(live, at) == observe(plan_live_run(spec(), timedelta(seconds=3)), at)


@pytest.mark.parametrize(
    ("problem", "training"),
    [("TextClassification", "TrainingModels"), ("Regression", "ModelTuning")],
)
def test_a_deploying_job_ends_by_deploying_its_model(problem: str, training: str) -> None:
    live = plan_live_run(
        spec(problem=problem, candidates=1 if problem == "TextClassification" else 20),
        timedelta(seconds=2),
        deploys=True,
    )
    sequence = secondary_sequence([o for _, o in run_through(live, 400)])
    assert training in sequence
    assert sequence[-3:] == ["GeneratingModelInsightsReport", "DeployingModel", "Completed"]


def test_a_candidate_definitions_only_job_trains_nothing() -> None:
    live = plan_live_run(spec(candidates=0), timedelta(seconds=1), definitions_only=True)
    seen = [o for _, o in run_through(live, 200)]
    assert secondary_sequence(seen) == [
        "Starting",
        "AnalyzingData",
        "FeatureEngineering",
        "CandidateDefinitionsGenerated",
    ]
    assert all(not o.run.candidates for o in seen)


def test_stopping_cuts_the_run_through_stopping_to_stopped() -> None:
    live = plan_live_run(spec(), timedelta(seconds=3))
    stop = START + timedelta(seconds=1.2)
    at_stop = observe(live, stop)
    assert at_stop.status == "InProgress"
    running_then = {
        c["CandidateName"] for c in at_stop.run.candidates if c["CandidateStatus"] == "InProgress"
    }
    finished_then = [c for c in at_stop.run.candidates if c["CandidateStatus"] in TERMINAL]
    assert running_then and finished_then
    seen = run_through(live, 400, stopped_at=stop)
    delay = live.stop_delay
    assert delay == timedelta(seconds=1)  # 3 s / 20, but at least a second
    for now, observation in seen:
        if now < stop:
            assert observation == observe(live, now)
            continue
        expected = "Stopping" if now < stop + delay else "Stopped"
        assert observation.status == observation.run.secondary_status == expected
        names = {c["CandidateName"] for c in observation.run.candidates}
        assert names == running_then | {c["CandidateName"] for c in finished_then}
        assert all(c in observation.run.candidates for c in finished_then)
    stopped = seen[-1][1]
    assert stopped.run.end_time == stop + delay
    cut = [c for c in stopped.run.candidates if c["CandidateName"] in running_then]
    assert {(c["CandidateStatus"], c["ObjectiveStatus"]) for c in cut} == {("Stopped", "Failed")}
    stopping = observe(live, stop + timedelta(milliseconds=10), stop)
    assert {c["CandidateStatus"] for c in stopping.run.candidates} >= {"Stopping"}


def test_a_stop_after_the_end_changes_nothing() -> None:
    live = plan_live_run(spec(), timedelta(seconds=2))
    end = START + timedelta(seconds=2)
    later = end + timedelta(seconds=5)
    assert observe(live, later, stopped_at=end) == observe(live, later)


def test_the_stop_delay_follows_the_duration_within_bounds() -> None:
    def delay(seconds: float) -> timedelta:
        return plan_live_run(spec(), timedelta(seconds=seconds)).stop_delay

    assert delay(2) == timedelta(seconds=1)
    assert delay(100) == timedelta(seconds=5)
    assert delay(3600) == timedelta(seconds=30)
