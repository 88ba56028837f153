"""The gateway's benchmark: `make bench` (or `python -m bench.run`).

Starts a local SageMaker and gateways as separate processes on loopback, then prints, in one
run, medians over repeated runs and their ratios:

1. a cold page (100 candidates, every field) through the gateway, against the same page by a
   direct aioboto3 call to the same local SageMaker;
   and GraphQL execution of that page alone, in process (bench/execution.py);
2. the same page warm (a Completed job, served from the gateway's cache);
3. upstream calls of a leaderboard query (10 jobs, each with bestCandidate and
   candidates(first: 10)), cold and warm;
4. upstream calls of 50 concurrent identical leaderboards, against those of one;
5. requests/s and p50/p99 latency at 1, 10 and 50 concurrent clients (by wrk, Debian's
   package, when installed: `make bench` installs it), and at 50 clients against a bare
   Starlette endpoint returning the same bytes (bench/bare.py);
6. upstream calls of callers of ten access scopes reading the same job, against one's;
7. the first 25 candidates of a 750-candidate job ordered by validation F1, against the same
   page in SageMaker's own order, both warm: SageMaker's answers cached, whole results not
   (the result cache is off), so each request is GraphQL executed over cached answers.

Each figure is printed beside the one of release 0.1.0 (measured on the same kind of machine),
or "new" where 0.1.0 had no such query.

Upstream calls are read from the gateway's own /metrics. Nothing leaves 127.0.0.1, and every
loop is bounded in count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import aioboto3
import boto3
import httpx
import orjson

from bench.execution import execution_ms

BIG_JOB = "customer-churn-xgb"
# Jobs created through the local SageMaker's API at the start of a run (they complete at once),
# with their MaxCandidates. ListAutoMLJobs sorts by name, descending: "churn-benchmark-750"
# comes last, so the leaderboard's first 10 jobs stay those of earlier releases.
ORDER_JOB = "churn-benchmark-750"
ORDER_JOB_CANDIDATES = 750  # AWS's most for a job
EXTRA_JOBS = {"churn-benchmark-a": 40, "churn-benchmark-b": 40, ORDER_JOB: ORDER_JOB_CANDIDATES}
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
RANKED_PAGE = """query ($job: String!) {
  candidates(jobName: $job, first: 25%s) {
    edges { rank node { candidateName metric(name: F1) } }
  }
}"""
BY_F1 = RANKED_PAGE % ", orderBy: [{by: METRIC, metric: F1}]"
SAGEMAKER_ORDER = RANKED_PAGE % ""
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
def process(
    args: list[str], url: str, env: dict[str, str] | None = None, module: str = "gateway"
) -> Iterator[None]:
    environment = {**os.environ, **(env or {})}
    child = subprocess.Popen(
        [sys.executable, "-m", module, *args],
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


@contextmanager
def bare_endpoint(body: bytes) -> Iterator[str]:
    """bench/bare.py under uvicorn, answering every POST with ``body``."""
    port = free_port()
    with tempfile.NamedTemporaryFile(suffix=".json") as file:
        file.write(body)
        file.flush()
        url = f"http://127.0.0.1:{port}"
        args = ["bench.bare:app", "--port", str(port), "--log-level", "warning", "--no-access-log"]
        with process(args, f"{url}/healthz", {"BENCH_BODY_FILE": file.name}, module="uvicorn"):
            yield url


def metric_total(url: str, prefix: str) -> int:
    """The sum of the gateway's /metrics samples whose line starts with ``prefix``."""
    total = 0.0
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith(prefix):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def upstream_calls(url: str) -> int:
    return metric_total(url, "gateway_upstream_calls_total{")


def result_cache_hits(url: str) -> int:
    return metric_total(url, 'gateway_cache_lookups_total{cache="results",result="hit"}')


async def timed(runs: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    await call()  # connections and imports warmed up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def post(
    client: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> Callable[[], Awaitable[Any]]:
    async def call() -> None:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        body = response.json()
        assert "errors" not in body, body["errors"]

    return call


SCOPES = [f"team-{n}" for n in range(10)]
SCOPE_POLICY = json.dumps({team: [f"{BIG_JOB}*", f"{team}-*"] for team in SCOPES})


async def scoped_calls(sagemaker_url: str, teams: list[str]) -> int:
    """Upstream calls of one candidates page read by a caller of each team, in turn."""
    proxy = {"auth_mode": "proxy", "authz_policy": SCOPE_POLICY}
    with gateway(sagemaker_url, **proxy) as url:
        before = upstream_calls(url)
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            for team in teams:
                identity = {"X-Auth-Request-User": f"{team}-user", "X-Auth-Request-Groups": team}
                await post(client, PAGE, headers=identity, job=BIG_JOB)()
        return upstream_calls(url) - before


async def cold_pages(sagemaker_url: str, gateway_url: str, runs: int) -> tuple[float, float]:
    """Medians (ms) of the same 100-candidate page by a direct aioboto3 call and through the
    gateway (nothing cached), taken in turn so both see the local SageMaker in the same state.
    Each side ends with the page's data in hand: botocore parses its answer, the gateway's
    client decodes the JSON (with orjson, as a fast client does)."""
    session = aioboto3.Session(region_name="us-east-1", **CREDENTIALS)
    body = {"query": PAGE, "variables": {"job": BIG_JOB}}
    async with (
        session.client("sagemaker", endpoint_url=sagemaker_url) as sagemaker,
        httpx.AsyncClient(base_url=gateway_url, timeout=60) as client,
    ):

        async def direct() -> None:
            await sagemaker.list_candidates_for_auto_ml_job(AutoMLJobName=BIG_JOB, MaxResults=100)

        async def through_gateway() -> None:
            answer = orjson.loads((await client.post("/graphql", json=body)).content)
            assert "errors" not in answer, answer["errors"]

        direct_times, gateway_times = [], []
        for _ in range(runs):
            direct_times += await timed(1, direct)
            gateway_times += await timed(1, through_gateway)
    return statistics.median(direct_times), statistics.median(gateway_times)


async def ordered_pages(gateway_url: str, runs: int) -> tuple[float, float]:
    """Medians (ms) of the first 25 candidates of ORDER_JOB by validation F1 and in SageMaker's
    order, taken in turn, through a gateway whose result cache is off: both warm (the job's
    SageMaker answers cached, as a Completed job's are), so each request executes GraphQL.
    Fails if a timed request called SageMaker or was answered from the result cache."""
    async with httpx.AsyncClient(base_url=gateway_url, timeout=60) as client:

        def page(query: str) -> Callable[[], Awaitable[list[Any]]]:
            body = {"query": query, "variables": {"job": ORDER_JOB}}

            async def call() -> list[Any]:
                answer = orjson.loads((await client.post("/graphql", json=body)).content)
                assert "errors" not in answer, answer["errors"]
                edges: list[Any] = answer["data"]["candidates"]["edges"]
                return edges

            return call

        by_f1, in_sagemaker_order = page(BY_F1), page(SAGEMAKER_ORDER)
        ranked = await by_f1()  # brings the job's whole set into the SageMaker-answer cache
        await in_sagemaker_order()  # and the page SageMaker orders
        f1 = [edge["node"]["metric"] for edge in ranked]
        assert len(f1) == 25 and None not in f1 and f1 == sorted(f1, reverse=True), f1
        calls, hits = upstream_calls(gateway_url), result_cache_hits(gateway_url)
        ordered_times: list[float] = []
        sagemaker_order_times: list[float] = []
        for _ in range(runs):
            for call, times in (
                (by_f1, ordered_times),
                (in_sagemaker_order, sagemaker_order_times),
            ):
                start = time.perf_counter()
                await call()
                times.append((time.perf_counter() - start) * 1000)
        assert upstream_calls(gateway_url) == calls, "a warm page called SageMaker"
        assert result_cache_hits(gateway_url) == hits, "the result cache answered"
    return statistics.median(ordered_times), statistics.median(sagemaker_order_times)


WRK_SCRIPT = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[%s]]
"""
WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_load(url: str, concurrency: int, seconds: float) -> tuple[float, float, float]:
    """Requests/s, p50 and p99 (ms) by wrk (Debian's package): a load generator in C, so the
    figures are the server's, not a Python client's."""
    body = json.dumps({"query": LEADERBOARD})
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT % body)
        script.flush()
        threads = str(min(concurrency, 2))
        duration = f"{max(1, round(seconds))}s"
        args = ["wrk", "-t", threads, "-c", str(concurrency), "-d", duration, "--latency"]
        output = subprocess.run(
            [*args, "-s", script.name, f"{url}/graphql"],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw failed requests:\n{output}")

    def latency(quantile: str) -> float:
        value = re.search(rf"^\s+{quantile}%\s+([\d.]+)(us|ms|s)$", output, re.M)
        assert value is not None, output
        return float(value[1]) * WRK_UNITS[value[2]]

    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    assert rate is not None, output
    return float(rate[1]), latency("50"), latency("99")


async def load(url: str, concurrency: int, requests: int) -> tuple[float, float, float]:
    """Requests/s, p50 and p99 (ms) of warm leaderboards from `concurrency` clients: by wrk
    for about as long as `requests` take at 1,000/s, else `requests` of them by httpx."""
    if shutil.which("wrk"):
        return wrk_load(url, concurrency, requests / 1000)
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
    """Creates EXTRA_JOBS, then checks that ORDER_JOB lists its 750 candidates, enough of them
    with a validation F1 to fill a page ordered by it."""
    client = boto3.client(
        "sagemaker", endpoint_url=sagemaker_url, region_name="us-east-1", **CREDENTIALS
    )
    for name, max_candidates in EXTRA_JOBS.items():
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
            AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": max_candidates}},
            RoleArn="arn:aws:iam::123456789012:role/bench-autopilot",
        )
    pages = client.get_paginator("list_candidates_for_auto_ml_job").paginate(
        AutoMLJobName=ORDER_JOB, PaginationConfig={"PageSize": 100}
    )
    candidates = [candidate for page in pages for candidate in page["Candidates"]]
    with_f1 = [
        candidate
        for candidate in candidates
        for metric in candidate.get("CandidateProperties", {}).get("CandidateMetrics", [])
        if metric.get("MetricName") == "F1" and metric.get("Set") == "Validation"
    ]
    assert len(candidates) == ORDER_JOB_CANDIDATES, len(candidates)
    assert len(with_f1) >= 25, len(with_f1)


# Release 0.1.0's figures on the same kind of machine (2 cores, loopback), for comparison; its
# load figures (5.) were taken by an httpx client, which itself limited them.
PREVIOUS = {
    "cold": "124 / 31 ms = 4.0",
    "execution": "76 ms",
    "warm": "6.4 / 31 ms = 0.21",
    "calls": "21 / 0",
    "concurrent": "21 / 21 = 1.00",
    1: "705/s p50 1.4 p99 3.5 ms",
    10: "593/s p50 12 p99 108 ms",
    50: "420/s p50 84 p99 540 ms",
}


def line(label: str, value: str, target: str = "", previous: str = "") -> None:
    print(f"{label:<52} {value:>32}  {previous:>26}  {target}")


async def main(runs: int, requests: int) -> None:
    port = free_port()
    sagemaker_url = f"http://127.0.0.1:{port}"
    with process(["local-sagemaker", "--port", str(port)], sagemaker_url):
        seed_extra_jobs(sagemaker_url)
        with gateway(sagemaker_url, cache_ttl_seconds="0", active_cache_ttl_seconds="0") as url:
            direct, cold = await cold_pages(sagemaker_url, url, runs)

        execution = await execution_ms(sagemaker_url, PAGE, {"job": BIG_JOB}, runs)

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

        with gateway(sagemaker_url, result_cache_max_entries="0") as url:
            ordered, sagemaker_order = await ordered_pages(url, runs)

        one_scope = await scoped_calls(sagemaker_url, SCOPES[:1])
        ten_scopes = await scoped_calls(sagemaker_url, SCOPES)

        print(f"\nAutopilot Gateway benchmark: medians of {runs} runs, {os.cpu_count()} cores\n")
        line("", "now", "target", "0.1.0")
        line(
            "1. cold 100-candidate page: gateway / direct aioboto3",
            f"{cold:.1f} / {direct:.1f} ms = {cold / direct:.2f}",
            "<= 1.2 (stretch 1.0)",
            PREVIOUS["cold"],
        )
        line(
            "   execution of that page's fields, in process",
            f"{execution:.1f} ms",
            "<= 10 ms",
            PREVIOUS["execution"],
        )
        line(
            "2. warm page of a Completed job: gateway / direct",
            f"{warm:.1f} / {direct:.1f} ms = {warm / direct:.2f}",
            "<= 0.3",
            PREVIOUS["warm"],
        )
        line(
            "3. leaderboard upstream calls, cold / warm",
            f"{leaderboard_cold} / {leaderboard_warm}",
            "<= 20 / 0",
            PREVIOUS["calls"],
        )
        line(
            "4. 50 concurrent leaderboards: calls / one's calls",
            f"{concurrent_calls} / {leaderboard_cold} = {concurrent_calls / leaderboard_cold:.2f}",
            "1.0",
            PREVIOUS["concurrent"],
        )
        with gateway(sagemaker_url) as url:
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                response = await client.post("/graphql", json={"query": LEADERBOARD})
                body = response.content
            for concurrency in (1, 10, 50):
                rate, p50, p99 = await load(url, concurrency, requests)
                line(
                    f"5. warm leaderboard, {concurrency} concurrent clients",
                    f"{rate:.0f}/s p50 {p50:.1f} p99 {p99:.1f} ms",
                    "p99 <= 20 ms" if concurrency == 50 else "",
                    str(PREVIOUS[concurrency]),
                )
        with bare_endpoint(body) as url:
            bare, bare_p50, bare_p99 = await load(url, 50, requests)
        line(
            "   bare Starlette, same bytes, 50 clients",
            f"{bare:.0f}/s p50 {bare_p50:.1f} p99 {bare_p99:.1f} ms",
        )
        line(
            "   gateway / bare Starlette at 50 clients",
            f"{rate / bare:.2f}",
            ">= 0.5",
        )
        line(
            "6. ten caller scopes on one job: calls / one scope's",
            f"{ten_scopes} / {one_scope}",
            "equal",
            "10x (reads were per scope)",
        )
        line(
            f"7. 25 of {ORDER_JOB_CANDIDATES} by F1, warm: ordered / SageMaker order",
            f"{ordered:.1f} / {sagemaker_order:.1f} ms = {ordered / sagemaker_order:.2f}",
            "<= 1.3",
            "new",
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30, help="timed runs per measurement")
    parser.add_argument(
        "--requests", type=int, default=5000, help="requests per load level (wrk: ms of load)"
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.requests))
