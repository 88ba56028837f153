"""Subscriptions end to end: graphql-transport-ws and SSE clients, the gateway under uvicorn,
aioboto3, and a local SageMaker whose jobs run for a few seconds of wall-clock time.

The gateway polls every 0.2 s; each job runs 4 s, so its candidates appear after the
subscriptions started (ModelTuning starts 10 % into the run).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any

import boto3
import pytest
from prometheus_client import REGISTRY

from gateway.local.server import LocalSageMaker
from gateway.sagemaker.metrics import upstream_calls
from gateway.settings import Settings
from tests.gateway_server import TEST_CREDENTIALS, GraphQLClient, running_gateway
from tests.local.builders import tabular, unique_name, v2_job
from tests.subscription_clients import sse_events, transport_ws

POLL = 0.2
RUN_SECONDS = 4
EVENTS = """
subscription($job: String!) {
  candidateEvents(jobName: $job) {
    kind at
    candidate { candidateName candidateStatus isBest }
    job { autoMLJobStatus autoMLJobSecondaryStatus bestCandidate { candidateName } }
  }
}
"""
TOP = """
subscription($job: String!, $first: Int) {
  leaderboardUpdates(jobName: $job, first: $first) {
    totalCount
    edges { rank node { candidateName candidateStatus finalAutoMLJobObjectiveMetric { value } } }
    pageInfo { hasNextPage }
  }
}
"""
FINAL = """
query($job: String!) {
  autoMLJob(name: $job) { autoMLJobStatus bestCandidate { candidateName } }
  candidates(jobName: $job, first: 100) {
    edges { node { candidateName candidateStatus } }
  }
}
"""


@pytest.fixture(scope="module")
def live_sagemaker() -> Iterator[LocalSageMaker]:
    """A local SageMaker of this module's own: its faults touch no other test."""
    with LocalSageMaker(seed=False) as sagemaker:
        yield sagemaker


@pytest.fixture(scope="module")
def live_settings(live_sagemaker: LocalSageMaker) -> Settings:
    return Settings(
        auth_mode="none",
        sagemaker_endpoint_url=live_sagemaker.endpoint_url,
        aws_region=live_sagemaker.region,
        live_poll_seconds=POLL,
        sagemaker_max_attempts=1,  # a throttled call reaches the poller at once
    )


@pytest.fixture(scope="module")
def live_gateway(live_settings: Settings) -> Iterator[str]:
    with running_gateway(live_settings) as url:
        yield url


@pytest.fixture(scope="module")
def client(live_sagemaker: LocalSageMaker) -> Any:
    return boto3.client(
        "sagemaker",
        endpoint_url=live_sagemaker.endpoint_url,
        region_name=live_sagemaker.region,
        aws_access_key_id=TEST_CREDENTIALS.access_key_id,
        aws_secret_access_key=TEST_CREDENTIALS.secret_access_key,
    )


def running_job(client: Any, seconds: float = RUN_SECONDS, candidates: int = 20) -> str:
    name = unique_name("live")
    client.create_auto_ml_job_v2(
        **v2_job(name, tabular(max_candidates=candidates)),
        Tags=[{"Key": "local-sagemaker:duration-seconds", "Value": str(seconds)}],
    )
    return name


def events_of(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert all("errors" not in m and "error" not in m for m in messages), messages
    return [m["data"]["candidateEvents"] for m in messages]


def check_complete_history(events: list[dict[str, Any]], final: dict[str, Any]) -> None:
    """Every candidate the job produced arrived once as ADDED, each later status once, in
    order, ending with the job's terminal status; the last NEW_BEST is the job's best."""
    finals = {
        e["node"]["candidateName"]: e["node"]["candidateStatus"]
        for e in final["candidates"]["edges"]
    }
    added = [e["candidate"]["candidateName"] for e in events if e["kind"] == "ADDED"]
    assert Counter(added) == Counter(finals.keys()), "every candidate once, none twice"
    last_status: dict[str, str] = {}
    for event in events:
        if event["kind"] in ("ADDED", "STATUS_CHANGED"):
            name, status = (
                event["candidate"]["candidateName"],
                event["candidate"]["candidateStatus"],
            )
            assert last_status.get(name) != status, f"{name} reported {status} twice"
            assert event["kind"] == "ADDED" or name in last_status, "a change before its ADDED"
            last_status[name] = status
    assert last_status == finals
    assert events[-1]["kind"] == "JOB_STATUS_CHANGED"
    assert events[-1]["job"]["autoMLJobStatus"] == "COMPLETED"
    assert [e for e in events if e["kind"] == "JOB_STATUS_CHANGED"][:-1] == [
        e for e in events[:-1] if e["kind"] == "JOB_STATUS_CHANGED"
    ]
    best = [e["candidate"]["candidateName"] for e in events if e["kind"] == "NEW_BEST"]
    assert best and best[-1] == final["autoMLJob"]["bestCandidate"]["candidateName"]
    times = [datetime.fromisoformat(e["at"]) for e in events]
    assert times == sorted(times)


@pytest.mark.slow
async def test_fifty_subscribers_get_every_change_for_the_calls_of_one(
    live_gateway: str, client: Any
) -> None:
    async with AsyncExitStack() as stack:
        # connected first, so that every subscription starts before the job's first candidate
        sockets = [await stack.enter_async_context(transport_ws(live_gateway)) for _ in range(50)]
        job = running_job(client)
        before = {
            op: upstream_calls(op)
            for op in ("describe_auto_ml_job_v2", "list_candidates_for_auto_ml_job")
        }
        started = time.monotonic()
        histories = await asyncio.gather(*(ws.collect(EVENTS, job=job) for ws in sockets))
    histories = [events_of(history) for history in histories]
    elapsed = time.monotonic() - started
    describes = upstream_calls("describe_auto_ml_job_v2") - before["describe_auto_ml_job_v2"]
    lists = (
        upstream_calls("list_candidates_for_auto_ml_job")
        - before["list_candidates_for_auto_ml_job"]
    )
    rounds = elapsed / POLL
    # one poller: a describe and one candidate page per round, however many subscribers
    assert describes <= rounds + 3, (describes, rounds)
    assert abs(lists - describes) <= 1, (lists, describes)
    assert all(history == histories[0] for history in histories)
    final = GraphQLClient(live_gateway).data(FINAL, job=job)
    check_complete_history(histories[0], final)


@pytest.mark.slow
async def test_events_arrive_within_a_poll_interval_and_a_second(
    live_gateway: str, client: Any
) -> None:
    job = running_job(client)
    lags: list[float] = []
    async with transport_ws(live_gateway) as ws:
        operation = await ws.start(EVENTS, job=job)
        while True:
            message = await ws.receive()
            if message["type"] == "complete":
                break
            event = message["payload"]["data"]["candidateEvents"]
            if event["kind"] == "ADDED":
                created = client.list_candidates_for_auto_ml_job(
                    AutoMLJobName=job, CandidateNameEquals=event["candidate"]["candidateName"]
                )["Candidates"][0]["CreationTime"]
                lags.append(time.time() - created.timestamp())
        assert message["id"] == operation
    assert lags and max(lags) <= POLL + 1, lags


@pytest.mark.slow
async def test_throttling_slows_the_poller_and_loses_nothing(
    live_gateway: str, client: Any, live_sagemaker: LocalSageMaker
) -> None:
    job = running_job(client)
    throttled = {"operation": "list_candidates_for_auto_ml_job", "outcome": "THROTTLED"}
    before = REGISTRY.get_sample_value("gateway_upstream_calls_total", throttled) or 0
    async with transport_ws(live_gateway) as ws:
        operation = await ws.start(EVENTS, job=job)
        first = await ws.receive()  # the job is under way
        live_sagemaker.autopilot.faults.throttle("ListCandidatesForAutoMLJob", for_seconds=1.5)
        messages = [first["payload"], *await ws.messages(operation)]
    live_sagemaker.autopilot.faults.clear()
    assert (REGISTRY.get_sample_value("gateway_upstream_calls_total", throttled) or 0) > before
    final = GraphQLClient(live_gateway).data(FINAL, job=job)
    check_complete_history(events_of(messages), final)


@pytest.mark.slow
async def test_leaderboard_updates_come_at_once_then_on_each_change_never_twice(
    live_gateway: str, client: Any
) -> None:
    job = running_job(client)
    counts = "subscription($job: String!) { leaderboardUpdates(jobName: $job) { totalCount } }"
    async with transport_ws(live_gateway) as ws, transport_ws(live_gateway) as other:
        # the same job, much less selected
        counted, messages = await asyncio.gather(
            other.collect(counts, job=job), ws.collect(TOP, job=job, first=3)
        )
        sizes = [m["data"]["leaderboardUpdates"]["totalCount"] for m in counted]
    # statuses and metrics change too, but this client sees the count only: one per new count
    assert sizes == sorted(set(sizes)) and sizes[0] == 0 and len(sizes) >= 2, sizes
    assert all("errors" not in m for m in messages), messages
    tops = [m["data"]["leaderboardUpdates"] for m in messages]
    assert len(tops) >= 3
    assert tops[0]["totalCount"] == 0  # the job had no candidate yet
    assert all(a != b for a, b in itertools.pairwise(tops)), "an identical repeat"
    best_first = GraphQLClient(live_gateway).data(
        """query($job: String!) { candidates(jobName: $job, first: 3,
             orderBy: [{by: OBJECTIVE}]) { totalCount edges { rank node { candidateName } } } }""",
        job=job,
    )["candidates"]
    assert [e["node"]["candidateName"] for e in tops[-1]["edges"]] == [
        e["node"]["candidateName"] for e in best_first["edges"]
    ]
    assert tops[-1]["totalCount"] == best_first["totalCount"]


async def test_a_finished_job_sends_its_status_once_and_completes(
    live_gateway: str, client: Any
) -> None:
    job = unique_name("done")
    client.create_auto_ml_job_v2(**v2_job(job, tabular(max_candidates=5)))
    async with transport_ws(live_gateway) as ws:
        events = events_of(await ws.collect(EVENTS, job=job))
        (top,) = await ws.collect(TOP, job=job, first=2)
    assert [(e["kind"], e["candidate"]) for e in events] == [("JOB_STATUS_CHANGED", None)]
    assert events[0]["job"]["autoMLJobStatus"] == "COMPLETED"
    assert top["data"]["leaderboardUpdates"]["totalCount"] == 5
    assert [e["rank"] for e in top["data"]["leaderboardUpdates"]["edges"]] == [1, 2]


async def test_subscriptions_to_a_finished_job_cost_no_more_than_one_cached_query(
    live_settings: Settings, client: Any
) -> None:
    job = unique_name("done")
    client.create_auto_ml_job_v2(**v2_job(job, tabular(max_candidates=5)))
    reads = ("describe_auto_ml_job_v2", "list_candidates_for_auto_ml_job")
    budgeted = live_settings.model_copy(update={"sagemaker_calls_per_minute": 5})
    with running_gateway(budgeted) as url:
        before = {op: upstream_calls(op) for op in reads}
        best = GraphQLClient(url).data(
            """query($job: String!) { candidates(jobName: $job, first: 2,
                 orderBy: [{by: OBJECTIVE}]) { edges { node { candidateName } } } }""",
            job=job,
        )["candidates"]["edges"]
        queried = {op: upstream_calls(op) for op in reads}
        async with transport_ws(url) as ws:
            for _ in range(6):  # over the caller's 5 calls a minute, were they calls
                events = events_of(await ws.collect(EVENTS, job=job))
                assert [(e["kind"], e["job"]["autoMLJobStatus"]) for e in events] == [
                    ("JOB_STATUS_CHANGED", "COMPLETED")
                ]
                (top,) = await ws.collect(TOP, job=job, first=2)
                assert "errors" not in top, top
                edges = top["data"]["leaderboardUpdates"]["edges"]
                assert [e["node"]["candidateName"] for e in edges] == [
                    e["node"]["candidateName"] for e in best
                ]
        for _ in range(6):  # a stream's reads spend the caller's budget
            status, streamed = await sse_events(url, TOP, job=job, first=2)
            assert status == 200 and [kind for kind, _ in streamed] == ["next", "complete"]
            assert "errors" not in streamed[0][1], streamed
        subscribed = {op: upstream_calls(op) for op in reads}
    assert queried != before  # the query read the job and its candidates
    assert subscribed == queried, "a subscription to a finished job costs no call"


@pytest.mark.slow
async def test_server_sent_events_carry_the_same_history(live_gateway: str, client: Any) -> None:
    job = running_job(client)
    status, events = await sse_events(live_gateway, EVENTS, job=job)
    assert status == 200
    assert events[-1] == ("complete", None)
    history = [data["data"]["candidateEvents"] for kind, data in events if kind == "next"]
    check_complete_history(history, GraphQLClient(live_gateway).data(FINAL, job=job))


async def test_bad_input_is_a_coded_error_not_a_closed_socket(live_gateway: str) -> None:
    async with transport_ws(live_gateway) as ws:
        (missing,) = await ws.collect(EVENTS, job="no-such-job")
        (invalid,) = await ws.collect(EVENTS, job="not a name!")
        (too_many,) = await ws.collect(TOP, job="no-such-job", first=100_000)
        assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert invalid["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        (still,) = await ws.collect("subscription { candidateEvents(jobName: 1) { kind } }")
        assert still["error"][0]["extensions"]["code"] == "BAD_USER_INPUT"
