"""Subscriptions' figures: what watchers cost SageMaker, what they receive, how late.

    python -m bench.live [--poll 1] [--seconds 12] [--subscribers 50]

Starts a local SageMaker (in this process, so the benchmark can make it throttle) and the
gateway as a process of its own on loopback, creates jobs that run for ``--seconds`` of wall
time, and prints:

1. SageMaker calls per poll round with one subscriber and with ``--subscribers`` on one job;
2. whether every subscriber got every candidate once, in order, across a throttling window;
3. how long after a candidate appeared in SageMaker its ADDED event reached a subscriber.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter
from contextlib import AsyncExitStack
from typing import Any

import boto3
from websockets.asyncio.client import ClientConnection, connect

from bench.run import gateway, line, metric_total
from gateway.local.server import LocalSageMaker

EVENTS = """subscription($job: String!) { candidateEvents(jobName: $job) {
  kind candidate { candidateName candidateStatus } } }"""
ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-bench"


def create_job(client: Any, name: str, seconds: float, candidates: int = 30) -> None:
    client.create_auto_ml_job_v2(
        AutoMLJobName=name,
        AutoMLJobInputDataConfig=[
            {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in.csv"}}}
        ],
        OutputDataConfig={"S3OutputPath": "s3://b/out"},
        AutoMLProblemTypeConfig={
            "TabularJobConfig": {
                "TargetAttributeName": "label",
                "CompletionCriteria": {"MaxCandidates": candidates},
            }
        },
        RoleArn=ROLE,
        Tags=[{"Key": "local-sagemaker:duration-seconds", "Value": str(seconds)}],
    )


async def connected(url: str) -> ClientConnection:
    socket = await connect(
        url.replace("http", "ws", 1) + "/graphql", subprotocols=["graphql-transport-ws"]
    )  # type: ignore[list-item]
    await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    return socket


async def history(socket: ClientConnection, job: str) -> list[tuple[float, dict[str, Any]]]:
    """Every event of one subscription, with the wall time it arrived."""
    payload = {"query": EVENTS, "variables": {"job": job}}
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    events = []
    while True:
        message = json.loads(await socket.recv())
        if message["type"] != "next":
            assert message["type"] == "complete", message
            return events
        assert "errors" not in message["payload"], message
        events.append((time.time(), message["payload"]["data"]["candidateEvents"]))


async def watch(url: str, client: Any, name: str, seconds: float, subscribers: int) -> Any:
    """Creates the job once everyone is connected; returns histories, rounds and calls."""
    async with AsyncExitStack() as stack:
        sockets = []
        for _ in range(subscribers):
            socket = await connected(url)
            stack.push_async_callback(socket.close)
            sockets.append(socket)
        create_job(client, name, seconds)
        calls = metric_total(url, "gateway_upstream_calls_total{")
        describes = metric_total(url, 'gateway_upstream_calls_total{operation="describe_auto_ml')
        histories = await asyncio.gather(*(history(socket, name) for socket in sockets))
        calls = metric_total(url, "gateway_upstream_calls_total{") - calls
        rounds = metric_total(url, 'gateway_upstream_calls_total{operation="describe_auto_ml')
        return histories, rounds - describes, calls


def complete(events: list[dict[str, Any]], final: dict[str, str]) -> bool:
    """Every candidate ADDED once, statuses in order ending in the final ones, job last."""
    added = Counter(e["candidate"]["candidateName"] for e in events if e["kind"] == "ADDED")
    last: dict[str, str] = {}
    for event in events:
        if event["kind"] in ("ADDED", "STATUS_CHANGED"):
            name, status = (
                event["candidate"]["candidateName"],
                event["candidate"]["candidateStatus"],
            )
            if last.get(name) == status:
                return False
            last[name] = status
    finals = {name: status.upper() for name, status in final.items()}
    return (
        added == Counter(final.keys())
        and last == finals
        and events[-1]["kind"] == "JOB_STATUS_CHANGED"
    )


def final_statuses(client: Any, job: str) -> dict[str, str]:
    listed = client.list_candidates_for_auto_ml_job(AutoMLJobName=job, MaxResults=100)
    return {c["CandidateName"]: c["CandidateStatus"] for c in listed["Candidates"]}


async def main(poll: float, seconds: float, subscribers: int) -> None:
    with LocalSageMaker(seed=False) as sagemaker:
        client = boto3.client(
            "sagemaker",
            endpoint_url=sagemaker.endpoint_url,
            region_name=sagemaker.region,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        settings = {"live_poll_seconds": str(poll), "sagemaker_max_attempts": "1"}
        with gateway(sagemaker.endpoint_url, **settings) as url:
            _, one_rounds, one_calls = await watch(url, client, "bench-live-one", seconds, 1)
            many, many_rounds, many_calls = await watch(
                url, client, "bench-live-many", seconds, subscribers
            )

            async def throttle() -> None:
                await asyncio.sleep(seconds / 2)
                sagemaker.autopilot.faults.throttle("ListCandidatesForAutoMLJob", for_seconds=3)

            refused = 'gateway_upstream_calls_total{operation="list_candidates_for_auto_ml_job",'
            refused += 'outcome="THROTTLED"}'
            before = metric_total(url, refused)
            throttling = asyncio.create_task(throttle())
            throttled, _, _ = await watch(url, client, "bench-live-throttled", seconds, 10)
            await throttling
            sagemaker.autopilot.faults.clear()
            throttled_calls = metric_total(url, refused) - before

        per_round_one = one_calls / max(one_rounds, 1)
        per_round_many = many_calls / max(many_rounds, 1)
        line(
            f"1. SageMaker calls per round, 1 / {subscribers} subscribers",
            f"{per_round_one:.2f} / {per_round_many:.2f} = {per_round_many / per_round_one:.2f}",
            "= 1.00",
        )
        final_many = final_statuses(client, "bench-live-many")
        final_throttled = final_statuses(client, "bench-live-throttled")
        whole = sum(complete([e for _, e in h], final_many) for h in many)
        whole_throttled = sum(complete([e for _, e in h], final_throttled) for h in throttled)
        line(
            "2. subscribers with every change once, in order",
            f"{whole}/{len(many)}; {whole_throttled}/{len(throttled)} across "
            f"{throttled_calls} throttled calls",
            "all",
        )
        created = {
            c["CandidateName"]: c["CreationTime"].timestamp()
            for c in client.list_candidates_for_auto_ml_job(
                AutoMLJobName="bench-live-many", MaxResults=100
            )["Candidates"]
        }
        lags = [
            at - created[event["candidate"]["candidateName"]]
            for h in many
            for at, event in h
            if event["kind"] == "ADDED"
        ]
        line(
            "3. ADDED after the candidate appeared, median / max",
            f"{statistics.median(lags):.2f} / {max(lags):.2f} s",
            f"<= {poll + 1:g} s",
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--poll", type=float, default=1.0, help="GATEWAY_LIVE_POLL_SECONDS")
    parser.add_argument("--seconds", type=float, default=12.0, help="how long each job runs")
    parser.add_argument("--subscribers", type=int, default=50)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.poll, arguments.seconds, arguments.subscribers))
