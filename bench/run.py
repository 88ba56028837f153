"""The gateway's benchmark: `make bench` (or `python -m bench.run`).

Starts a local SageMaker and gateways as separate processes on loopback, then prints, in one
run, medians over repeated runs and their ratios:

1. a cold page (100 candidates, every field) through the gateway, against the same page by a
   direct aioboto3 call to the same local SageMaker;
2. the same page warm (a Completed job, served from the gateway's cache);
3. upstream calls of a leaderboard query (10 jobs, each with bestCandidate and
   candidates(first: 10)), cold and warm;
4. upstream calls of 50 concurrent identical leaderboards, against those of one;
5. requests/s and p50/p99 latency at 1, 10 and 50 concurrent clients.

Upstream calls are read from the gateway's own /metrics. Nothing leaves 127.0.0.1, and every
loop is bounded in count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import aioboto3
import boto3
import httpx

BIG_JOB = "customer-churn-xgb"
EXTRA_JOBS = ("churn-benchmark-a", "churn-benchmark-b")
CANDIDATE_FIELDS = """
  candidateName candidateStatus objectiveStatus
  finalAutoMLJobObjectiveMetric { type metricName value standardMetricName }
  candidateSteps { candidateStepType candidateStepArn candidateStepName }
  inferenceContainers { image modelDataUrl environment { name value } }
  creationTime endTime lastModifiedTime failureReason
  candidateProperties {
    candidateArtifactLocations { explainability modelInsights backtestResults }
    candidateMetrics { metricName standardMetricName value set }
  }
  inferenceContainerDefinitions { processingUnit containers { image modelDataUrl } }
"""
PAGE = f"""query ($job: String!) {{
  candidates(jobName: $job, first: 100) {{ edges {{ node {{ {CANDIDATE_FIELDS} }} }} }}
}}"""
LEADERBOARD = """{
  autoMLJobs(first: 10) { edges { node {
    autoMLJobName autoMLJobStatus
    bestCandidate { candidateName finalAutoMLJobObjectiveMetric { metricName value } }
    candidates(first: 10) { edges { node { candidateName candidateStatus } } }
  } } }
}"""
CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@contextmanager
def process(args: list[str], url: str, env: dict[str, str] | None = None) -> Iterator[None]:
    environment = {**os.environ, **(env or {})}
    child = subprocess.Popen(
        [sys.executable, "-m", "gateway", *args],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(url, child)
        yield
    finally:
        child.terminate()
        child.wait(10)


@contextmanager
def gateway(sagemaker_url: str, **settings: str) -> Iterator[str]:
    port = free_port()
    env = {
        "GATEWAY_SAGEMAKER_ENDPOINT_URL": sagemaker_url,
        "GATEWAY_LOG_LEVEL": "warning",
        "GATEWAY_AUTH_MODE": "none",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        **{f"GATEWAY_{key.upper()}": value for key, value in settings.items()},
    }
    url = f"http://127.0.0.1:{port}"
    with process(["serve", "--port", str(port)], f"{url}/healthz", env):
        yield url


def upstream_calls(url: str) -> int:
    total = 0.0
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith("gateway_upstream_calls_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


async def timed(runs: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    await call()  # connections and imports warmed up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def post(client: httpx.AsyncClient, query: str, **variables: Any) -> Callable[[], Awaitable[Any]]:
    async def call() -> None:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        body = response.json()
        assert "errors" not in body, body["errors"]

    return call


async def direct_page(sagemaker_url: str, runs: int) -> list[float]:
    session = aioboto3.Session(region_name="us-east-1", **CREDENTIALS)
    async with session.client("sagemaker", endpoint_url=sagemaker_url) as client:

        async def call() -> None:
            await client.list_candidates_for_auto_ml_job(AutoMLJobName=BIG_JOB, MaxResults=100)

        return await timed(runs, call)


async def load(url: str, concurrency: int, requests: int) -> tuple[float, float, float]:
    """Requests/s, p50 and p99 (ms) of `requests` warm leaderboards from `concurrency` clients."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        call = post(client, LEADERBOARD)
        await call()
        remaining = requests

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                start = time.perf_counter()
                await call()
                latencies.append((time.perf_counter() - start) * 1000)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    quantiles = statistics.quantiles(latencies, n=100)
    return len(latencies) / elapsed, quantiles[49], quantiles[98]


def seed_extra_jobs(sagemaker_url: str) -> None:
    client = boto3.client(
        "sagemaker", endpoint_url=sagemaker_url, region_name="us-east-1", **CREDENTIALS
    )
    for name in EXTRA_JOBS:
        client.create_auto_ml_job(
            AutoMLJobName=name,
            InputDataConfig=[
                {
                    "DataSource": {
                        "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bench/in/"}
                    },
                    "TargetAttributeName": "churned",
                }
            ],
            OutputDataConfig={"S3OutputPath": "s3://bench/out/"},
            ProblemType="BinaryClassification",
            AutoMLJobObjective={"MetricName": "F1"},
            AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 40}},
            RoleArn="arn:aws:iam::123456789012:role/bench-autopilot",
        )


def line(label: str, value: str, target: str = "") -> None:
    print(f"{label:<58} {value:>22}   {target}")


async def main(runs: int, requests: int) -> None:
    port = free_port()
    sagemaker_url = f"http://127.0.0.1:{port}"
    with process(["local-sagemaker", "--port", str(port)], sagemaker_url):
        seed_extra_jobs(sagemaker_url)
        direct = statistics.median(await direct_page(sagemaker_url, runs))

        with gateway(sagemaker_url, cache_ttl_seconds="0", active_cache_ttl_seconds="0") as url:
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                cold = statistics.median(await timed(runs, post(client, PAGE, job=BIG_JOB)))

        with gateway(sagemaker_url) as url:
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                warm = statistics.median(await timed(runs, post(client, PAGE, job=BIG_JOB)))

        with gateway(sagemaker_url) as url:
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                before = upstream_calls(url)
                await post(client, LEADERBOARD)()
                leaderboard_cold = upstream_calls(url) - before
                before = upstream_calls(url)
                await post(client, LEADERBOARD)()
                leaderboard_warm = upstream_calls(url) - before

        with gateway(sagemaker_url) as url:
            before = upstream_calls(url)
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                await asyncio.gather(*(post(client, LEADERBOARD)() for _ in range(50)))
            concurrent_calls = upstream_calls(url) - before

        print(f"\nAutopilot Gateway benchmark: medians of {runs} runs, {os.cpu_count()} cores\n")
        line(
            "1. cold 100-candidate page: gateway / direct aioboto3",
            f"{cold:.1f} / {direct:.1f} ms = {cold / direct:.2f}",
            "target <= 1.5",
        )
        line(
            "2. warm page of a Completed job: gateway / direct",
            f"{warm:.1f} / {direct:.1f} ms = {warm / direct:.2f}",
            "target <= 0.3",
        )
        line(
            "3. leaderboard upstream calls, cold / warm",
            f"{leaderboard_cold} / {leaderboard_warm}",
            "target <= 20 / 0",
        )
        line(
            "4. 50 concurrent leaderboards: calls / one's calls",
            f"{concurrent_calls} / {leaderboard_cold} = {concurrent_calls / leaderboard_cold:.2f}",
            "target 1.0",
        )
        with gateway(sagemaker_url) as url:
            for concurrency in (1, 10, 50):
                rate, p50, p99 = await load(url, concurrency, requests)
                line(
                    f"5. warm leaderboard, {concurrency} concurrent clients",
                    f"{rate:.0f}/s p50 {p50:.1f} p99 {p99:.1f} ms",
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30, help="timed runs per measurement")
    parser.add_argument("--requests", type=int, default=500, help="requests per load level")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.requests))
