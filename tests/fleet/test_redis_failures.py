"""Redis killed, paused, restarted, out of memory or refusing the gateway, under load: every
request still answers, right, from the in-process cache and SageMaker; sharing resumes after.

Each test runs its own redis-server, and replicas with Redis's default timeout (0.1 s).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from gateway.sagemaker.metrics import upstream_calls
from gateway.settings import Settings
from tests.fleet.gateways import LEADERBOARD, Fleet, fleet, redis_commands
from tests.fleet.redis_server import RedisServer
from tests.gateway_server import GraphQLClient

QUERIES = [
    LEADERBOARD,
    '{ autoMLJob(name: "customer-churn-xgb") { autoMLJobStatus bestCandidate { candidateName } } }',
    """{ candidates(jobName: "customer-churn-xgb", first: 20, sortBy: FINAL_OBJECTIVE_METRIC_VALUE,
         sortOrder: DESCENDING) { edges { node { candidateName creationTime } } } }""",
]


def settings_on(gateway_settings: Settings, url: str, *, forgetful: bool = False) -> Settings:
    """Replicas on ``url``. ``forgetful`` ones keep no results and almost no SageMaker answers
    in memory, so that nearly every read asks Redis: the load keeps Redis busy. They limit
    callers too, far above the load, so that every request and call takes from Redis's
    buckets (or, while Redis is unavailable, the process's) and none is refused."""
    update: dict[str, Any] = {"redis_url": SecretStr(url)}
    if forgetful:
        update |= {"result_cache_max_entries": 0, "cache_max_entries": 2}
        update |= {
            "rate_limit_per_minute": 1_000_000,
            "rate_limit_burst": 100_000,
            "sagemaker_calls_per_minute": 1_000_000,
        }
    return gateway_settings.model_copy(update=update)


@dataclass
class Load:
    """Clients sending known queries round-robin to the replicas until stopped."""

    expected: list[dict[str, Any]]
    failures: list[str] = field(default_factory=list)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (started, seconds)
    answered: int = 0

    async def run(self, urls: list[str], stop: asyncio.Event, workers: int = 6) -> None:
        clients = [httpx.AsyncClient(base_url=url, timeout=30) for url in urls]

        async def worker(n: int) -> None:
            i = n
            while not stop.is_set():
                client, query = clients[i % len(clients)], i % len(QUERIES)
                i += 1
                started = time.monotonic()
                response = await client.post("/graphql", json={"query": QUERIES[query]})
                self.latencies.append((started, time.monotonic() - started))
                self.answered += 1
                if response.status_code != 200 or response.json() != {"data": self.expected[query]}:
                    self.failures.append(f"{response.status_code}: {response.text[:300]}")

        await asyncio.gather(*(worker(n) for n in range(workers)))
        for client in clients:
            await client.aclose()


async def under_load(
    replicas: Fleet, expected: list[dict[str, Any]], faults: Callable[[], Awaitable[None]]
) -> Load:
    load, stop = Load(expected), asyncio.Event()
    running = asyncio.ensure_future(load.run(replicas.urls, stop))
    await asyncio.sleep(0.5)
    await faults()
    await asyncio.sleep(0.5)
    stop.set()
    await running
    return load


def redis_states(replicas: Fleet) -> list[str]:
    return [replica.http.get("/readyz").json()["redis"] for replica in replicas.replicas]


def wait_until_shared_again(replicas: Fleet, seconds: float = 10) -> None:
    """Warm requests never ask Redis, but /readyz (which Kubernetes polls) probes it once the
    breaker's cool-down has passed; then Redis is used again."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if redis_states(replicas) == ["ok"] * len(replicas.replicas):
            return
        time.sleep(0.2)
    raise AssertionError(f"Redis was not used again: {redis_states(replicas)}")


def assert_sharing_works(replicas: Fleet, job: str) -> None:
    """A read none of the replicas made yet costs SageMaker calls on the first replica only."""
    query = """{ autoMLJob(name: "%s") {
      autoMLJobStatus candidates(first: 3) { edges { node { candidateName } } }
    } }"""
    first, *others = replicas.replicas
    before = upstream_calls()
    expected = first.data(query % job)
    assert upstream_calls() > before
    before = upstream_calls()
    for n, replica in enumerate(others):
        assert (
            replica.data((query % job).replace("autoMLJobStatus", f"s{n}: autoMLJobStatus"))[
                "autoMLJob"
            ]["candidates"]
            == expected["autoMLJob"]["candidates"]
        )
    assert upstream_calls() == before


@pytest.mark.slow
async def test_killed_paused_restarted_or_full_redis_fails_no_request(
    gateway_settings: Settings, own_redis: RedisServer
) -> None:
    timeouts, skipped = redis_commands("timeout"), redis_commands("skipped")
    buckets_taken = redis_commands("ok", "bucket")
    with fleet(settings_on(gateway_settings, own_redis.url, forgetful=True)) as replicas:
        expected = [replicas.data(query) for query in QUERIES]

        async def kill_and_restart() -> None:
            own_redis.kill()
            await asyncio.sleep(1.0)
            own_redis.start()

        killed = await under_load(replicas, expected, kill_and_restart)
        await asyncio.to_thread(wait_until_shared_again, replicas)

        async def pause_and_resume() -> None:
            own_redis.pause()
            await asyncio.sleep(1.0)
            own_redis.resume()

        paused = await under_load(replicas, expected, pause_and_resume)
        await asyncio.to_thread(wait_until_shared_again, replicas)

        async def run_out_of_memory() -> None:
            client = own_redis.client()
            client.config_set("maxmemory-policy", "noeviction")
            client.config_set("maxmemory", "1")  # every write is refused with OOM
            await asyncio.sleep(1.0)
            client.config_set("maxmemory", "64mb")

        full = await under_load(replicas, expected, run_out_of_memory)
        await asyncio.to_thread(wait_until_shared_again, replicas)
        await asyncio.to_thread(assert_sharing_works, replicas, "support-ticket-priority")

    for load in (killed, paused, full):
        assert load.answered > 20
        assert load.failures == []
    # A paused Redis holds no request: each one waits at most the timeout per command in
    # flight, then the breaker skips Redis altogether (generous bound for a loaded machine).
    assert max(seconds for _, seconds in paused.latencies) < 2.0
    assert redis_commands("timeout") > timeouts and redis_commands("skipped") > skipped
    assert redis_commands("ok", "bucket") > buckets_taken  # the limits were shared meanwhile


@pytest.mark.slow
def test_a_redis_down_at_start_up_is_used_once_it_answers(
    gateway_settings: Settings, own_redis: RedisServer
) -> None:
    own_redis.kill()
    with fleet(settings_on(gateway_settings, own_redis.url), replicas=2) as replicas:
        answer = replicas.replicas[0].data(QUERIES[1])
        ready = replicas.replicas[0].http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["redis"].startswith("unavailable (")
        assert replicas.replicas[1].data(QUERIES[1]) == answer
        own_redis.start()
        wait_until_shared_again(replicas)
        assert_sharing_works(replicas, "house-prices-regression")


@pytest.mark.slow
def test_a_redis_refusing_the_gateways_password_costs_nothing_but_sharing(
    gateway_settings: Settings, redis_binary: Any, tmp_path: Any
) -> None:
    with RedisServer(redis_binary, tmp_path, password="right-password") as server:
        wrong = server.url.replace("right-password", "wrong-password")
        with fleet(settings_on(gateway_settings, wrong), replicas=1) as replicas:
            gateway: GraphQLClient = replicas.replicas[0]
            assert gateway.data(QUERIES[1])["autoMLJob"]["autoMLJobStatus"] == "COMPLETED"
            state = gateway.http.get("/readyz").json()["redis"]
    assert state.startswith("unavailable (") and "password" in state.lower()
    assert "wrong-password" not in state
