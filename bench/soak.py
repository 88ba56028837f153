"""The gateway under sustained load: `make soak` (or `python -m bench.soak`).

Starts a local SageMaker and a gateway as processes on loopback, then keeps ``--clients``
concurrent clients busy for ``--seconds`` with a mix of warm queries (the same operations
again: the result cache) and cold ones (pages of jobs and candidates, node refetches by ID,
over SageMaker answers that expire every ``CACHE_TTL_SECONDS``, so that reads keep going
cold all along). It reports, and checks:

- errors: every answer must be HTTP 200 without GraphQL errors; transport errors count too
  (a proxy's reused connection the gateway was closing shows up as one);
- the gateway's resident memory (from /proc) after warm-up against at the end: at most
  ``--max-memory-growth`` more;
- the p99 latency of the first window after warm-up against the last window's: at most
  ``--max-p99-ratio`` times;
- with ``--sigterm``, the gateway gets SIGTERM under that load at the end: every request
  already in flight must complete (clients stop starting new ones at that moment).

Exits 1 when a check fails. ``--json`` prints the figures as one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.run import free_port, wait_until_up

CACHE_TTL_SECONDS = "15"
DEFAULT = "default: %(default)s"
PAGE_SIZES = (10, 25, 50)
"""The page sizes a frontend offers: the working set is reached during warm-up, and memory
that grows after it is a leak, not the caches filling."""
JOB = "query ($name: String!) { autoMLJob(name: $name) { autoMLJobName autoMLJobStatus } }"
JOBS = """query ($first: Int!) {
  autoMLJobs(first: $first) { edges { node { id autoMLJobName autoMLJobStatus } } }
}"""
CANDIDATES = """query ($job: String!, $first: Int!) {
  candidates(jobName: $job, first: $first) {
    edges { node { id candidateName candidateStatus finalAutoMLJobObjectiveMetric { value } } }
  }
}"""
NODE = """query ($id: ID!) {
  node(id: $id) {
    id
    ... on Candidate { candidateName candidateStatus }
    ... on AutoMLJob { autoMLJobName autoMLJobStatus }
  }
}"""


@dataclass
class Figures:
    started: float = field(default_factory=time.monotonic)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (at, seconds)
    errors: list[str] = field(default_factory=list)
    memory: list[tuple[float, int]] = field(default_factory=list)  # (at, bytes)
    in_flight_at_sigterm: int = 0
    failed_after_sigterm: int = 0


def resident_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2] if values else 0.0


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0


@contextmanager
def started(args: list[str], url: str, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen(
        [sys.executable, "-m", "gateway", *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(url, child)
        yield child
    finally:
        if child.poll() is None:
            child.terminate()
        child.wait(30)


class Load:
    def __init__(self, url: str, jobs: list[str], ids: list[str], figures: Figures) -> None:
        self._url = url
        self._jobs = jobs
        self._ids = ids
        self._figures = figures
        self.stopping = asyncio.Event()
        self.in_flight = 0

    def operation(self, rng: random.Random) -> tuple[str, dict[str, Any]]:
        roll = rng.random()
        if roll < 0.35:  # warm: a few operations asked again and again
            return JOB, {"name": self._jobs[rng.randrange(3)]}
        if roll < 0.55:
            return CANDIDATES, {"job": rng.choice(self._jobs), "first": rng.choice(PAGE_SIZES)}
        if roll < 0.75:
            return NODE, {"id": rng.choice(self._ids)}
        if roll < 0.9:
            return JOB, {"name": rng.choice(self._jobs)}
        return JOBS, {"first": rng.choice(PAGE_SIZES)}

    async def client(self, number: int, deadline: float) -> None:
        rng = random.Random(number)
        async with httpx.AsyncClient(base_url=self._url, timeout=30) as http:
            while time.monotonic() < deadline and not self.stopping.is_set():
                query, variables = self.operation(rng)
                self.in_flight += 1
                begun = time.monotonic()
                try:
                    response = await http.post(
                        "/graphql", json={"query": query, "variables": variables}
                    )
                    body = response.json()
                    if response.status_code != 200 or "errors" in body:
                        self._failed(f"HTTP {response.status_code}: {str(body)[:200]}")
                    else:
                        self._figures.latencies.append((begun, time.monotonic() - begun))
                except (httpx.HTTPError, ValueError) as error:
                    self._failed(f"{type(error).__name__}: {error}")
                finally:
                    self.in_flight -= 1

    def _failed(self, what: str) -> None:
        self._figures.errors.append(what)
        if self.stopping.is_set():
            self._figures.failed_after_sigterm += 1


def discover(url: str) -> tuple[list[str], list[str]]:
    """The demo jobs' names, and node IDs of jobs and candidates to refetch."""
    with httpx.Client(base_url=url, timeout=30) as http:
        jobs = http.post("/graphql", json={"query": JOBS, "variables": {"first": 50}}).json()
        edges = jobs["data"]["autoMLJobs"]["edges"]
        names = [edge["node"]["autoMLJobName"] for edge in edges]
        ids = [edge["node"]["id"] for edge in edges]
        for name in names:
            page = http.post(
                "/graphql", json={"query": CANDIDATES, "variables": {"job": name, "first": 5}}
            ).json()
            ids += [edge["node"]["id"] for edge in page["data"]["candidates"]["edges"]]
    return names, ids


async def run_load(
    url: str, pid: int, process: subprocess.Popen[bytes], options: argparse.Namespace
) -> Figures:
    jobs, ids = discover(url)
    figures = Figures()
    load = Load(url, jobs, ids, figures)
    deadline = figures.started + options.seconds
    clients = [
        asyncio.create_task(load.client(n, deadline + (60 if options.sigterm else 0)))
        for n in range(options.clients)
    ]
    while time.monotonic() < deadline:
        figures.memory.append((time.monotonic(), resident_bytes(pid)))
        await asyncio.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
    figures.memory.append((time.monotonic(), resident_bytes(pid)))
    if options.sigterm:
        load.stopping.set()
        figures.in_flight_at_sigterm = load.in_flight
        process.send_signal(signal.SIGTERM)
    await asyncio.gather(*clients)
    return figures


def summary(figures: Figures, options: argparse.Namespace) -> dict[str, Any]:
    warm_up = min(60.0, options.seconds / 2)  # a short run spends half of it warming up
    window = min(60.0, options.seconds / 4)
    start = figures.started
    after_warm_up = [(at - start, s) for at, s in figures.latencies if at - start >= warm_up]
    first = [s for at, s in after_warm_up if at < warm_up + window]
    last = [s for at, s in after_warm_up if at >= options.seconds - window]
    baseline = next(
        (rss for at, rss in figures.memory if at - start >= warm_up), figures.memory[-1][1]
    )
    final = figures.memory[-1][1]
    requests = len(figures.latencies) + len(figures.errors)
    return {
        "seconds": options.seconds,
        "clients": options.clients,
        "requests": requests,
        "requests_per_second": round(requests / options.seconds, 1),
        "errors": len(figures.errors),
        "first_errors": figures.errors[:5],
        "rss_after_warm_up_mib": round(baseline / 2**20, 1),
        "rss_at_end_mib": round(final / 2**20, 1),
        "rss_growth": round(final / baseline - 1, 4),
        "rss_mib": [round(rss / 2**20) for _, rss in figures.memory],
        "p50_ms": round(median([s for _, s in figures.latencies]) * 1000, 1),
        "p99_first_window_ms": round(p99(first) * 1000, 1),
        "p99_last_window_ms": round(p99(last) * 1000, 1),
        "in_flight_at_sigterm": figures.in_flight_at_sigterm,
        "failed_after_sigterm": figures.failed_after_sigterm,
    }


def failures(figures: dict[str, Any], options: argparse.Namespace) -> list[str]:
    failed = []
    if figures["errors"]:
        failed.append(f"{figures['errors']} errors, e.g. {figures['first_errors'][:2]}")
    if figures["rss_growth"] > options.max_memory_growth:
        failed.append(f"resident memory grew {figures['rss_growth']:.1%} after warm-up")
    first, last = figures["p99_first_window_ms"], figures["p99_last_window_ms"]
    if first and last > first * options.max_p99_ratio:
        failed.append(f"p99 went from {first} ms to {last} ms")
    return failed


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=600, help=DEFAULT)
    parser.add_argument("--clients", type=int, default=50, help=DEFAULT)
    parser.add_argument("--sigterm", action="store_true", help="SIGTERM under load at the end")
    parser.add_argument(
        "--max-memory-growth", type=float, default=0.10, help="default: %(default)s"
    )
    parser.add_argument("--max-p99-ratio", type=float, default=1.5, help="default: %(default)s")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    sagemaker_port, gateway_port = free_port(), free_port()
    sagemaker_url = f"http://127.0.0.1:{sagemaker_port}"
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    credentials = {"AWS_ACCESS_KEY_ID": "soak", "AWS_SECRET_ACCESS_KEY": "soak"}
    env = {
        **credentials,
        "GATEWAY_SAGEMAKER_ENDPOINT_URL": sagemaker_url,
        "GATEWAY_AUTH_MODE": "none",
        "GATEWAY_LOG_LEVEL": "warning",
        "GATEWAY_CACHE_TTL_SECONDS": CACHE_TTL_SECONDS,
    }
    with (
        started(["local-sagemaker", "--port", str(sagemaker_port)], sagemaker_url, credentials),
        started(["serve", "--port", str(gateway_port)], f"{gateway_url}/healthz", env) as gateway,
    ):
        figures = asyncio.run(run_load(gateway_url, gateway.pid, gateway, options))
        exited = gateway.wait(30) if options.sigterm else None
    result = summary(figures, options)
    failed = failures(result, options)
    if options.sigterm and exited not in (0, -signal.SIGTERM):
        failed.append(f"the gateway exited with {exited} after SIGTERM")
    result["failed_checks"] = failed
    if options.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
