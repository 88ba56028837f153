"""The fleet's benchmark: three gateway processes on one redis-server (`python -m bench.fleet`).

Starts a local SageMaker, Debian's redis-server and three gateways as separate processes on
loopback, spreads requests over the gateways round-robin, and prints:

1. SageMaker calls of a cold leaderboard asked of each of the three replicas in turn, against
   those of one gateway alone (without Redis, three replicas would pay three times);
2. SageMaker calls of 50 concurrent identical cold leaderboards spread over the three, against
   one gateway's for one leaderboard;
3. the median time of a warm 100-candidate page answered from Redis (by a replica whose own
   caches are too small to hold it), against the same page from the in-process cache;
4. failed requests of clients loading the three replicas while redis-server is killed, and
   whether sharing resumes once it is back.

Upstream calls are read from each gateway's /metrics. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from bench.run import (
    BIG_JOB,
    LEADERBOARD,
    PAGE,
    free_port,
    gateway,
    post,
    process,
    seed_extra_jobs,
    timed,
    upstream_calls,
)

REDIS_SERVER = Path("/usr/bin/redis-server")
JOB_STATUS = "query ($job: String!) { autoMLJob(name: $job) { autoMLJobStatus } }"


@contextmanager
def redis_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server without persistence, bounded in memory, as the README tells operators."""
    if not REDIS_SERVER.exists():
        raise SystemExit("bench.fleet needs redis-server: run `make system-packages`")
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        arguments = [
            str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", directory,
            "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru",
        ]  # fmt: skip
        child = subprocess.Popen(arguments, stdout=subprocess.DEVNULL)
        try:
            wait_for_port(port)
            yield f"redis://127.0.0.1:{port}/0", child
        finally:
            child.kill()
            child.wait(10)


def wait_for_port(port: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


@contextmanager
def replicas(sagemaker_url: str, count: int, **settings: str) -> Iterator[list[str]]:
    with ExitStack() as stack:
        yield [stack.enter_context(gateway(sagemaker_url, **settings)) for _ in range(count)]


def calls_of(urls: list[str]) -> int:
    return sum(upstream_calls(url) for url in urls)


async def spread_cold_leaderboard(urls: list[str]) -> int:
    before = calls_of(urls)
    for url in urls:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            await post(client, LEADERBOARD)()
    return calls_of(urls) - before


async def concurrent_cold_leaderboards(urls: list[str], count: int) -> int:
    clients = [httpx.AsyncClient(base_url=url, timeout=60) for url in urls]
    before = calls_of(urls)
    await asyncio.gather(*(post(clients[n % len(urls)], LEADERBOARD)() for n in range(count)))
    for client in clients:
        await client.aclose()
    return calls_of(urls) - before


async def warm_page_ms(url: str, runs: int) -> float:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        return statistics.median(await timed(runs, post(client, PAGE, job=BIG_JOB)))


async def load_while(urls: list[str], seconds: float, fault: asyncio.Event) -> tuple[int, int]:
    """Requests answered and failed by 12 clients over ``seconds``; ``fault`` is set midway."""
    queries = [LEADERBOARD, PAGE]
    answered = failed = 0
    stop = time.monotonic() + seconds
    clients = [httpx.AsyncClient(base_url=url, timeout=60) for url in urls]

    async def client_loop(n: int) -> None:
        nonlocal answered, failed
        while time.monotonic() < stop:
            query = queries[n % len(queries)]
            response = await clients[n % len(clients)].post(
                "/graphql", json={"query": query, "variables": {"job": BIG_JOB}}
            )
            answered += 1
            if response.status_code != 200 or "errors" in response.json():
                failed += 1
            n += 1

    async def trigger() -> None:
        await asyncio.sleep(seconds / 2)
        fault.set()

    await asyncio.gather(trigger(), *(client_loop(n) for n in range(12)))
    for client in clients:
        await client.aclose()
    return answered, failed


def line(label: str, value: str, target: str) -> None:
    print(f"{label:<64} {value:>30}  {target}")


@contextmanager
def fleet(
    sagemaker_url: str, count: int, **settings: str
) -> Iterator[tuple[list[str], subprocess.Popen[bytes]]]:
    """``count`` gateways on a redis-server of their own: their URLs and the server."""
    with (
        redis_server() as (redis_url, server),
        replicas(sagemaker_url, count, redis_url=redis_url, **settings) as urls,
    ):
        yield urls, server


async def main(runs: int, seconds: float, redis_timeout: str | None) -> None:
    port = free_port()
    sagemaker_url = f"http://127.0.0.1:{port}"
    with process(["local-sagemaker", "--port", str(port)], sagemaker_url):
        seed_extra_jobs(sagemaker_url)
        timeout = {} if redis_timeout is None else {"redis_timeout_seconds": redis_timeout}
        with gateway(sagemaker_url) as url:
            one_cold = await spread_cold_leaderboard([url])
            in_process = await warm_page_ms(url, runs)

        with fleet(sagemaker_url, 3, **timeout) as (urls, _):
            spread = await spread_cold_leaderboard(urls)
        with fleet(sagemaker_url, 3, **timeout) as (urls, _):
            concurrent = await concurrent_cold_leaderboards(urls, 50)
        with redis_server() as (redis_url, _):
            tiny = {"cache_max_megabytes": "0.01", "result_cache_max_megabytes": "0.01"}
            with replicas(sagemaker_url, 1, redis_url=redis_url, **timeout) as (writer,):
                async with httpx.AsyncClient(base_url=writer, timeout=60) as client:
                    # Once the job is known to be Completed, its pages are kept for the
                    # cache's TTL (not the active one): long enough for the reader to start.
                    await post(client, JOB_STATUS, job=BIG_JOB)()
                await warm_page_ms(writer, 1)  # the page's result and answers now in Redis
            with replicas(sagemaker_url, 1, redis_url=redis_url, **tiny, **timeout) as (reader,):
                from_redis = await warm_page_ms(reader, runs)
                reader_calls = calls_of([reader])
        with fleet(sagemaker_url, 3, **timeout) as (urls, server):
            killed = asyncio.Event()

            async def kill_when_asked() -> None:
                await killed.wait()
                server.kill()

            killer = asyncio.ensure_future(kill_when_asked())
            answered, failed = await load_while(urls, seconds, killed)
            await killer

    print(f"\nAutopilot Gateway fleet: 3 replicas on one redis-server, medians of {runs} runs,")
    setting = redis_timeout or "default"
    print(f"GATEWAY_REDIS_TIMEOUT_SECONDS={setting}, load average {os.getloadavg()[0]:.1f}\n")
    line(
        "1. cold leaderboard, once per replica: calls / one gateway's",
        f"{spread} / {one_cold}",
        "equal",
    )
    line(
        "2. 50 concurrent cold leaderboards over 3: calls / one's",
        f"{concurrent} / {one_cold}",
        "equal",
    )
    line(
        "3. warm 100-candidate page from Redis / from the process's cache",
        f"{from_redis:.1f} / {in_process:.1f} ms = {from_redis / in_process:.2f}",
        "<= 2",
    )
    line("   SageMaker calls of the replica reading from Redis", str(reader_calls), "0")
    line(
        "4. redis-server killed under load: failed / answered requests",
        f"{failed} / {answered}",
        "0 failed",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30, help="timed runs per measurement")
    parser.add_argument("--seconds", type=float, default=6, help="length of the load with a kill")
    parser.add_argument(
        "--redis-timeout", help="GATEWAY_REDIS_TIMEOUT_SECONDS of the replicas (default: theirs)"
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.seconds, arguments.redis_timeout))
