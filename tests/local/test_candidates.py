"""The pure candidate generator: deterministic, realistic and consistent across statuses."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.local import metrics
from gateway.local.candidate_generation import generate_run
from gateway.local.candidate_order import best_candidate
from gateway.local.jobs import JOB_STATUSES, JobSpec
from gateway.local.store import LocalAutopilot
from tests.local.builders import v1_job

SPEC = JobSpec(
    name="customer-churn-xgb",
    account_id="123456789012",
    region="eu-west-1",
    problem="BinaryClassification",
    objective="F1",
    max_candidates=40,
    output_path="s3://bucket/output/",
    creation_time=datetime(2026, 1, 5, 8, 30, tzinfo=UTC),
)
TRAINING_JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")


def fingerprint(candidates: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(candidates, default=str, sort_keys=True).encode()).hexdigest()


def test_same_job_same_candidates_even_in_another_process() -> None:
    here = fingerprint(generate_run(SPEC, "Completed").candidates)
    assert here == fingerprint(generate_run(replace(SPEC), "Completed").candidates)
    script = (
        "import hashlib, json\n"
        "from datetime import UTC, datetime\n"
        "from gateway.local.candidate_generation import generate_run\n"
        "from gateway.local.jobs import JobSpec\n"
        "spec = JobSpec('customer-churn-xgb', '123456789012', 'eu-west-1', 'BinaryClassification',"
        " 'F1', 40, 's3://bucket/output/', datetime(2026, 1, 5, 8, 30, tzinfo=UTC))\n"
        "c = generate_run(spec, 'Completed').candidates\n"
        "print(hashlib.sha256(json.dumps(c, default=str, sort_keys=True).encode()).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    there = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert there == here


def test_different_names_give_different_candidates() -> None:
    ours = generate_run(SPEC, "Completed").candidates
    theirs = generate_run(replace(SPEC, name="customer-churn-lgbm"), "Completed").candidates
    assert {c["CandidateName"] for c in ours}.isdisjoint(c["CandidateName"] for c in theirs)
    assert [c["CandidateStatus"] for c in ours] != [c["CandidateStatus"] for c in theirs]


@pytest.mark.parametrize("count", [1, 7, 250, 750])
def test_candidate_names_look_like_aws_and_are_unique(count: int) -> None:
    candidates = generate_run(replace(SPEC, max_candidates=count), "Completed").candidates
    names = [c["CandidateName"] for c in candidates]
    assert len(names) == len(set(names)) == count
    for index, name in enumerate(names, start=1):
        assert len(name) <= 64 and TRAINING_JOB_NAME.fullmatch(name)
        prefix, tuning_id, number, digest = name.rsplit("-", 3)
        assert prefix == "customer-churn-xgb" and len(tuning_id) == 10
        assert number == f"{index:03d}" and re.fullmatch("[0-9a-f]{8}", digest)


def test_more_candidates_extend_rather_than_reshuffle() -> None:
    few = generate_run(replace(SPEC, max_candidates=10), "Completed").candidates
    many = generate_run(replace(SPEC, max_candidates=30), "Completed").candidates
    assert [c["CandidateName"] for c in many[:10]] == [c["CandidateName"] for c in few]


def test_stopping_a_snapshot_only_touches_running_candidates() -> None:
    running = {c["CandidateName"]: c for c in generate_run(SPEC, "InProgress").candidates}
    stopping = {c["CandidateName"]: c for c in generate_run(SPEC, "Stopping").candidates}
    stopped = {c["CandidateName"]: c for c in generate_run(SPEC, "Stopped").candidates}
    assert running.keys() == stopped.keys() == stopping.keys()
    assert 0 < len(running) < SPEC.max_candidates
    changed = 0
    for name, before in running.items():
        if before["CandidateStatus"] in {"InProgress", "Stopping"}:
            changed += 1
            assert stopping[name]["CandidateStatus"] == "Stopping"
            assert stopped[name]["CandidateStatus"] == "Stopped"
            assert stopped[name]["ObjectiveStatus"] == "Failed" and "EndTime" in stopped[name]
        else:
            assert stopped[name] == before == stopping[name]
    assert changed > 0


def test_a_failed_job_is_observed_earlier_than_a_stopped_one() -> None:
    failed = generate_run(SPEC, "Failed")
    stopped = generate_run(SPEC, "Stopped")
    assert len(failed.candidates) < len(stopped.candidates)
    assert failed.end_time is not None and stopped.end_time is not None
    assert failed.end_time < stopped.end_time
    assert all(c["EndTime"] <= failed.end_time for c in failed.candidates)


def test_timestamps_are_consistent_in_every_status() -> None:
    for status in JOB_STATUSES:
        run = generate_run(SPEC, status)
        for c in run.candidates:
            assert SPEC.creation_time < c["CreationTime"] <= c["LastModifiedTime"]
            assert c["LastModifiedTime"] <= run.last_modified_time
            if "EndTime" in c:
                assert c["CreationTime"] <= c["EndTime"] <= c["LastModifiedTime"]
            else:
                assert c["CandidateStatus"] in {"InProgress", "Stopping"}
        assert (run.end_time is None) == (status in {"InProgress", "Stopping"})


def test_best_candidate_follows_the_objective_direction() -> None:
    regression = replace(SPEC, problem="Regression", objective="RMSE")
    candidates = generate_run(regression, "Completed").candidates
    best = best_candidate(candidates, "RMSE")
    assert best is not None
    values = [
        c["FinalAutoMLJobObjectiveMetric"]["Value"]
        for c in candidates
        if "FinalAutoMLJobObjectiveMetric" in c
    ]
    assert best["FinalAutoMLJobObjectiveMetric"]["Value"] == min(values)
    assert (
        best_candidate([c for c in candidates if "FinalAutoMLJobObjectiveMetric" not in c], "RMSE")
        is None
    )


def test_regression_metrics_agree_with_each_other() -> None:
    regression = replace(SPEC, problem="Regression", objective="MSE")
    for c in generate_run(regression, "Completed").candidates:
        if "CandidateProperties" not in c:
            continue
        validation = {
            d["StandardMetricName"]: d["Value"]
            for d in c["CandidateProperties"]["CandidateMetrics"]
            if d["Set"] == "Validation"
        }
        assert validation["MSE"] == pytest.approx(validation["RMSE"] ** 2, rel=1e-4)
        assert validation["MAE"] < validation["RMSE"]
        assert 0 < validation["R2"] < 1


def test_two_fresh_stores_create_identical_jobs() -> None:
    when = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    request = v1_job(
        "same-name-twice", AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 15}}
    )
    first, second = LocalAutopilot(), LocalAutopilot()
    assert first.create_auto_ml_job(request, now=when) == second.create_auto_ml_job(
        request, now=when
    )
    assert first.candidates("same-name-twice") == second.candidates("same-name-twice")
    first.set_job_status("same-name-twice", "InProgress")
    second.set_job_status("same-name-twice", "InProgress")
    assert first.candidates("same-name-twice") == second.candidates("same-name-twice")


def metric_keys(candidate: dict[str, Any]) -> set[tuple[str, str]]:
    data = candidate.get("CandidateProperties", {}).get("CandidateMetrics", [])
    return {(d["StandardMetricName"], d["Set"]) for d in data}


def test_a_minority_of_tabular_candidates_lack_some_metrics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = replace(SPEC, max_candidates=250)
    reported = generate_run(spec, "Completed").candidates
    monkeypatch.setattr(metrics, "_reported", lambda data, objective, rng: data)
    complete = generate_run(spec, "Completed").candidates
    gapped = 0
    kinds: set[str] = set()
    for ours, full in zip(reported, complete, strict=True):
        if "CandidateProperties" not in full:
            assert ours == full
            continue
        keys, all_keys = metric_keys(ours), metric_keys(full)
        assert ("F1", "Validation") in keys  # the objective is always reported
        assert keys <= all_keys
        if keys != all_keys:
            gapped += 1
            missing = all_keys - keys
            if all(s == "Test" for _, s in missing) and len(missing) > 2:
                kinds.add("no test set")
            if ("InferenceLatency", "Validation") in missing:
                kinds.add("no latency")
            if len(missing) == 1 and "InferenceLatency" not in {m for m, _ in missing}:
                kinds.add("one gap")
        # Everything but the missing metrics is as it would be without gaps.
        full_data = full["CandidateProperties"]["CandidateMetrics"]
        assert ours["CandidateProperties"]["CandidateMetrics"] == [
            d for d in full_data if (d["StandardMetricName"], d["Set"]) in keys
        ]
        without = {k: v for k, v in ours.items() if k != "CandidateProperties"}
        assert without == {k: v for k, v in full.items() if k != "CandidateProperties"}
    scored = sum("CandidateProperties" in c for c in complete)
    assert 0.1 * scored < gapped < 0.45 * scored
    assert kinds == {"no test set", "no latency", "one gap"}


@pytest.mark.parametrize("problem", ["TextClassification", "ImageClassification"])
def test_single_model_jobs_report_every_metric(problem: str) -> None:
    spec = replace(SPEC, problem=problem, objective="Accuracy", max_candidates=1)
    (candidate,) = generate_run(spec, "Completed").candidates
    keys = metric_keys(candidate)
    assert {s for _, s in keys} == {"Train", "Validation", "Test"}
    assert ("InferenceLatency", "Validation") in keys
    assert len(keys) == 3 * (len({m for m, _ in keys}) - 1) + 1
