"""Jobs tagged local-sagemaker:duration-seconds: in the store by a test clock, and over HTTP."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.sagemaker.exceptions import ValidationError

from gateway.local import DURATION_TAG, LIVE_DEMO_JOB, LocalAutopilot, LocalSageMaker
from gateway.local.jobs import AutoMLJob
from gateway.local.seed import LIVE_DEMO_DURATION, LIVE_DEMO_HEAD_START, seed_live_demo_job
from gateway.shapes import AWS
from tests.local.builders import tabular, unique_name, v1_job, v2_job, walk_candidates
from tests.local.conftest import Call, make_client
from tests.local.shapes import assert_valid
from tests.local.test_reports import documentation_keys, expected_keys, s3_client

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def duration_tag(seconds: float | str) -> list[dict[str, str]]:
    return [{"Key": "team", "Value": "tests"}, {"Key": DURATION_TAG, "Value": str(seconds)}]


class ManualClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RecordingObserver:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []  # (candidates before, candidates after)

    def run_changed(self, job: AutoMLJob, before: Sequence[AWS]) -> None:
        self.calls.append((len(before), len(job.run.candidates)))


def live_store() -> tuple[LocalAutopilot, ManualClock, RecordingObserver]:
    clock, observer = ManualClock(), RecordingObserver()
    return LocalAutopilot(clock=clock, observer=observer), clock, observer


def describe(store: LocalAutopilot, name: str) -> AWS:
    return store.describe_auto_ml_job_v2({"AutoMLJobName": name})


def test_a_tagged_job_runs_by_the_stores_clock() -> None:
    store, clock, _ = live_store()
    store.create_auto_ml_job(
        v1_job(
            "live-v1",
            Tags=duration_tag(10),
            AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 20}},
        )
    )
    job = describe(store, "live-v1")
    assert (job["AutoMLJobStatus"], job["AutoMLJobSecondaryStatus"]) == ("InProgress", "Starting")
    assert job["CreationTime"] == START and "EndTime" not in job and "BestCandidate" not in job
    assert "AutoMLJobArtifacts" not in job  # no candidate definitions, so no notebooks yet
    clock.advance(5)
    job = describe(store, "live-v1")
    assert job["AutoMLJobSecondaryStatus"] == "ModelTuning"
    assert "DataExplorationNotebookLocation" in job["AutoMLJobArtifacts"]
    assert store.candidates("live-v1")
    (summary,) = store.list_auto_ml_jobs({})["AutoMLJobSummaries"]
    assert summary["AutoMLJobStatus"] == "InProgress"
    assert summary["LastModifiedTime"] == job["LastModifiedTime"]
    clock.advance(5)
    v1 = store.describe_auto_ml_job({"AutoMLJobName": "live-v1"})
    assert (v1["AutoMLJobStatus"], v1["AutoMLJobSecondaryStatus"]) == ("Completed", "Completed")
    assert v1["EndTime"] == v1["LastModifiedTime"] == START + timedelta(seconds=10)
    assert len(store.candidates("live-v1")) == 20 and "BestCandidate" in v1


def test_untagged_jobs_still_finish_at_once() -> None:
    store, _, _ = live_store()
    store.create_auto_ml_job_v2(v2_job("instant", tabular(5), Tags=[{"Key": "a", "Value": "1"}]))
    assert describe(store, "instant")["AutoMLJobStatus"] == "Completed"
    assert len(store.candidates("instant")) == 5


def test_the_observer_hears_of_candidates_as_they_come_not_of_every_request() -> None:
    store, clock, observer = live_store()
    store.create_auto_ml_job_v2(v2_job("observed", tabular(30), Tags=duration_tag(3)))
    assert observer.calls == [(0, 0)]
    for _ in range(60):
        clock.advance(0.05)
        describe(store, "observed")
        describe(store, "observed")
    assert len(observer.calls) < 60  # the second describe of a moment changes nothing
    assert observer.calls[-1][1] == 30
    for previous, current in itertools.pairwise(observer.calls):
        assert current[0] == previous[1]  # each call says what the previous one left


def test_stop_moves_a_live_job_through_stopping_to_stopped() -> None:
    store, clock, _ = live_store()
    store.create_auto_ml_job_v2(v2_job("stop-live", tabular(30), Tags=duration_tag(4)))
    clock.advance(1.5)
    store.stop_auto_ml_job({"AutoMLJobName": "stop-live"})
    job = describe(store, "stop-live")
    assert (job["AutoMLJobStatus"], job["AutoMLJobSecondaryStatus"]) == ("Stopping", "Stopping")
    assert "EndTime" not in job
    clock.advance(0.5)
    store.stop_auto_ml_job({"AutoMLJobName": "stop-live"})  # again while stopping: accepted
    clock.advance(0.5)
    job = describe(store, "stop-live")
    assert (job["AutoMLJobStatus"], job["AutoMLJobSecondaryStatus"]) == ("Stopped", "Stopped")
    assert job["EndTime"] == START + timedelta(seconds=2.5)  # the first stop counts
    with pytest.raises(ValidationError, match="in status Stopped"):
        store.stop_auto_ml_job({"AutoMLJobName": "stop-live"})


def test_a_finished_live_job_cannot_be_stopped() -> None:
    store, clock, _ = live_store()
    store.create_auto_ml_job_v2(v2_job("done-live", tabular(3), Tags=duration_tag(1)))
    clock.advance(1)
    with pytest.raises(ValidationError, match="in status Completed"):
        store.stop_auto_ml_job({"AutoMLJobName": "done-live"})


def test_setting_a_status_ends_the_live_run() -> None:
    store, clock, _ = live_store()
    store.create_auto_ml_job_v2(v2_job("frozen", tabular(10), Tags=duration_tag(2)))
    store.set_job_status("frozen", "Failed")
    clock.advance(10)
    assert describe(store, "frozen")["AutoMLJobStatus"] == "Failed"


def test_the_live_demo_job_is_training_when_seeded() -> None:
    store, clock, _ = live_store()
    assert seed_live_demo_job(store) and not seed_live_demo_job(store)
    job = describe(store, LIVE_DEMO_JOB)
    assert job["CreationTime"] == START - LIVE_DEMO_HEAD_START
    assert job["AutoMLJobSecondaryStatus"] == "ModelTuning"
    statuses = {c["CandidateStatus"] for c in store.candidates(LIVE_DEMO_JOB)}
    assert "InProgress" in statuses
    clock.advance(20)
    assert "BestCandidate" in describe(store, LIVE_DEMO_JOB)  # a leaderboard within seconds
    clock.advance((LIVE_DEMO_DURATION - LIVE_DEMO_HEAD_START).total_seconds() - 20)
    job = describe(store, LIVE_DEMO_JOB)
    assert (job["AutoMLJobStatus"], job["AutoMLJobSecondaryStatus"]) == ("Completed", "Completed")
    assert "ModelDeployResult" in job


def test_the_tests_seed_has_no_live_job(server: LocalSageMaker) -> None:
    assert not server.autopilot.has_job(LIVE_DEMO_JOB)


def test_a_bad_duration_tag_is_refused_over_http(sagemaker: Any) -> None:
    with pytest.raises(ClientError) as refused:
        sagemaker.create_auto_ml_job_v2(
            **v2_job(unique_name("bad-tag"), tabular(3), Tags=duration_tag("soon"))
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert DURATION_TAG in error["Message"]


def poll(call: Call, name: str) -> tuple[AWS, list[AWS]]:
    """The job and all its candidates, each answer checked against botocore's model."""
    job, raw = call("DescribeAutoMLJobV2", AutoMLJobName=name)
    assert_valid("DescribeAutoMLJobV2", job, raw)
    assert_valid("DescribeAutoMLJob", *call("DescribeAutoMLJob", AutoMLJobName=name))
    page, raw = call("ListCandidatesForAutoMLJob", AutoMLJobName=name, MaxResults=100)
    assert_valid("ListCandidatesForAutoMLJob", page, raw)
    return job, page["Candidates"]


def test_a_three_second_job_runs_over_http(
    sagemaker: Any, call: Call, server: LocalSageMaker
) -> None:
    name = unique_name("live-http")
    s3, reports_checked = s3_client(server), False
    sagemaker.create_auto_ml_job_v2(**v2_job(name, tabular(30), Tags=duration_tag(3)))
    phases: list[str] = []
    counts: list[int] = []
    bests: list[str] = []
    modified: list[datetime] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        job, candidates = poll(call, name)
        if not phases or phases[-1] != job["AutoMLJobSecondaryStatus"]:
            phases.append(job["AutoMLJobSecondaryStatus"])
        counts.append(len(candidates))
        modified.append(job["LastModifiedTime"])
        best = job.get("BestCandidate", {}).get("CandidateName")
        if best and (not bests or bests[-1] != best):
            bests.append(best)
        if job["AutoMLJobStatus"] == "Completed":
            break
        assert "EndTime" not in job
        if not reports_checked and any(c["CandidateStatus"] == "Completed" for c in candidates):
            # the finished candidates' reports are there at once (more may finish meanwhile)
            assert expected_keys(candidates) <= documentation_keys(s3, sagemaker, name)
            reports_checked = True
        time.sleep(0.05)
    assert job["AutoMLJobStatus"] == "Completed"
    assert job["EndTime"] - job["CreationTime"] == timedelta(seconds=3)
    order = [
        "Starting",
        "AnalyzingData",
        "FeatureEngineering",
        "ModelTuning",
        "GeneratingExplainabilityReport",
        "GeneratingModelInsightsReport",
        "Completed",
    ]
    assert phases == [p for p in order if p in phases] and {"ModelTuning", "Completed"} <= set(
        phases
    )
    assert counts == sorted(counts) and len(set(counts)) >= 3 and counts[-1] == 30
    assert modified == sorted(modified) and len(set(modified)) >= 5
    assert len(bests) >= 2
    final = walk_candidates(sagemaker, name, MaxResults=300)
    assert {c["CandidateStatus"] for c in final} <= {"Completed", "Failed", "Stopped"}
    assert reports_checked
    assert documentation_keys(s3, sagemaker, name) == expected_keys(final)


def test_stopping_a_live_job_over_http(sagemaker: Any, call: Call) -> None:
    name = unique_name("live-stop")
    sagemaker.create_auto_ml_job_v2(**v2_job(name, tabular(30), Tags=duration_tag(4)))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        job, candidates = poll(call, name)
        if any(c["CandidateStatus"] == "InProgress" for c in candidates):
            break
        time.sleep(0.05)
    sagemaker.stop_auto_ml_job(AutoMLJobName=name)
    job, candidates = poll(call, name)
    assert job["AutoMLJobStatus"] == "Stopping" and "EndTime" not in job
    assert "Stopping" in {c["CandidateStatus"] for c in candidates}
    while job["AutoMLJobStatus"] == "Stopping" and time.monotonic() < deadline + 2:
        time.sleep(0.1)
        job, candidates = poll(call, name)
    assert (job["AutoMLJobStatus"], job["AutoMLJobSecondaryStatus"]) == ("Stopped", "Stopped")
    assert {c["CandidateStatus"] for c in candidates} <= {"Completed", "Failed", "Stopped"}
    assert all(c["EndTime"] <= job["EndTime"] for c in candidates)


def test_a_test_clock_fast_forwards_a_long_job_over_http() -> None:
    clock = ManualClock()
    with LocalSageMaker(seed=False, clock=clock) as local:
        client = make_client(local)
        client.create_auto_ml_job_v2(**v2_job("hour-long", tabular(50), Tags=duration_tag(3600)))
        clock.advance(1800)
        job = client.describe_auto_ml_job_v2(AutoMLJobName="hour-long")
        assert (job["AutoMLJobStatus"], job["AutoMLJobSecondaryStatus"]) == (
            "InProgress",
            "ModelTuning",
        )
        assert 0 < len(walk_candidates(client, "hour-long", MaxResults=100)) < 50
        clock.advance(1800)
        job = client.describe_auto_ml_job_v2(AutoMLJobName="hour-long")
        assert job["AutoMLJobStatus"] == "Completed"
        assert job["EndTime"] == START + timedelta(hours=1)


@pytest.mark.slow
def test_serve_local_shows_the_live_demo_job_running() -> None:
    """What `make serve` runs: the gateway on a local SageMaker with the live demo job."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "GATEWAY_AUTH_MODE": "none", "GATEWAY_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "gateway", "serve", "--local", "--port", str(port)]
    query = """query ($name: String!) {
      autoMLJob(name: $name) { autoMLJobStatus autoMLJobSecondaryStatus }
    }"""
    with subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as gateway:
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    request = urllib.request.Request(
                        f"http://127.0.0.1:{port}/graphql",
                        data=json.dumps(
                            {"query": query, "variables": {"name": LIVE_DEMO_JOB}}
                        ).encode(),
                        headers={"Content-Type": "application/json"},
                    )
                    with urllib.request.urlopen(request, timeout=5) as response:
                        body = json.loads(response.read())
                    break
                except OSError:
                    assert gateway.poll() is None and time.monotonic() < deadline
                    time.sleep(0.2)
        finally:
            gateway.terminate()
            gateway.wait(timeout=30)
    assert body == {
        "data": {
            "autoMLJob": {
                "autoMLJobStatus": "IN_PROGRESS",
                "autoMLJobSecondaryStatus": "MODEL_TUNING",
            }
        }
    }
