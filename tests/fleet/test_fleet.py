"""Replicas sharing one redis-server behave as one gateway: SageMaker calls of one replica.

Each test starts its own replicas (cold caches) on an emptied Redis; SageMaker calls are those
the local SageMaker answered for all of them.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from gateway.sagemaker.leaderboards import JobCandidates
from gateway.sagemaker.metrics import upstream_calls
from gateway.settings import Settings
from gateway.shared.buckets import RedisTokenBuckets
from gateway.shared.channel import Channel
from gateway.shared.connection import RedisConnection
from gateway.shared.counter import WindowCounter
from gateway.shared.lease import Lease
from gateway.shared.live import FleetLiveJobs
from tests.fleet.gateways import LEADERBOARD, fleet, redis_commands
from tests.fleet.redis_server import RedisServer
from tests.fleet.test_buckets import NoFallback
from tests.gateway_server import GraphQLClient, running_gateway
from tests.sagemaker.live_data import JOB, candidate, read


@pytest.fixture
def fleet_settings(gateway_settings: Settings, redis_server: RedisServer) -> Settings:
    """Replicas on the session's Redis. Three replicas and their clients share this test's
    process (and two cores with the rest of the suite): Redis's timeout is made generous so
    that the event loop's own delays under that load never count as Redis being slow."""
    update = {"redis_url": SecretStr(redis_server.url), "redis_timeout_seconds": 2.0}
    return gateway_settings.model_copy(update=update)


def cold_leaderboard_alone(gateway_settings: Settings) -> tuple[dict[str, Any], int]:
    with running_gateway(gateway_settings) as url:
        before = upstream_calls()
        data = GraphQLClient(url).data(LEADERBOARD)
        return data, upstream_calls() - before


@pytest.mark.slow
def test_a_cold_leaderboard_over_three_replicas_costs_the_calls_of_one(
    gateway_settings: Settings, fleet_settings: Settings
) -> None:
    expected, calls_alone = cold_leaderboard_alone(gateway_settings)
    assert calls_alone > 10  # the job list, and reads of each of ten jobs
    with fleet(fleet_settings) as replicas:
        before = upstream_calls()
        first = replicas.data(LEADERBOARD)
        # The same reads in other shapes (other results): SageMaker's answers are shared.
        aliased = replicas.data(LEADERBOARD.replace("autoMLJobs(", "board: autoMLJobs("))
        renamed = replicas.data(LEADERBOARD.replace("candidateName", "name: candidateName"))
        again = [replicas.data(LEADERBOARD) for _ in range(3)]  # whole results are shared too
        calls = upstream_calls() - before
    assert calls == calls_alone
    assert first == expected  # datetimes and all, as a gateway without Redis answers
    assert aliased["board"] == expected["autoMLJobs"]
    assert renamed != expected and again == [expected] * 3


@pytest.mark.slow
async def test_fifty_concurrent_cold_leaderboards_over_three_replicas_cost_the_calls_of_one(
    gateway_settings: Settings, fleet_settings: Settings
) -> None:
    expected, calls_alone = await asyncio.to_thread(cold_leaderboard_alone, gateway_settings)
    with fleet(fleet_settings) as replicas:
        clients = replicas.async_clients()
        before = upstream_calls()
        responses = await asyncio.gather(
            *(clients[n % 3].post("/graphql", json={"query": LEADERBOARD}) for n in range(50))
        )
        calls = upstream_calls() - before
        for client in clients:
            await client.aclose()
    assert [response.json() for response in responses] == [{"data": expected}] * 50
    assert calls == calls_alone


def test_readiness_shows_redis_and_metrics_count_its_commands(fleet_settings: Settings) -> None:
    with fleet(fleet_settings, replicas=1) as replicas:
        replica = replicas.replicas[0]
        replica.data('{ autoMLJob(name: "customer-churn-xgb") { autoMLJobStatus } }')
        ready = replica.http.get("/readyz")
        metrics = replica.http.get("/metrics").text
    assert ready.status_code == 200
    assert ready.json()["redis"] == "ok"
    assert 'gateway_redis_commands_total{outcome="ok",purpose="cache-get"}' in metrics
    assert "gateway_redis_available 1.0" in metrics
    assert 'gateway_cache_lookups_total{cache="sagemaker-redis",result="miss"}' in metrics


def test_without_redis_readiness_says_it_is_off(gateway: GraphQLClient) -> None:
    assert gateway.http.get("/readyz").json()["redis"] == "off"


README = (Path(__file__).parent.parent.parent / "README.md").read_text()


async def test_the_documented_acl_user_is_all_the_gateway_needs(
    gateway_settings: Settings, own_redis: RedisServer
) -> None:
    """The README's ACL: only the gateway's keys, channels and commands, and everything works."""
    (acl,) = re.findall(r"`(ACL SETUSER gateway [^`]+)`", README)
    own_redis.client().execute_command(*acl.replace(">PASSWORD", ">pw-of-the-gateway").split())
    url = f"redis://gateway:pw-of-the-gateway@127.0.0.1:{own_redis.port}/0"
    # The limits per caller on too, so that their buckets are taken from Redis as well.
    limits = {"rate_limit_per_minute": 600, "sagemaker_calls_per_minute": 600}
    settings = gateway_settings.model_copy(update={"redis_url": SecretStr(url)} | limits)
    query = '{ autoMLJob(name: "support-ticket-routing") { autoMLJobStatus } }'
    errors = redis_commands("error")
    with fleet(settings, replicas=2) as replicas:
        first, second = replicas.replicas
        before = upstream_calls()
        answer = first.data(query)
        calls = upstream_calls() - before
        again = second.data(query.replace("autoMLJobStatus", "status: autoMLJobStatus"))
        assert upstream_calls() - before == calls  # the second replica read Redis
        assert again["autoMLJob"]["status"] == answer["autoMLJob"]["autoMLJobStatus"]
        assert second.http.get("/readyz").json()["redis"] == "ok"
    assert redis_commands("error") == errors  # no command was refused
    # The primitives too, under the same prefix.
    connection = RedisConnection.from_url(url, key_prefix="autopilot-gateway", timeout=1)
    lease = Lease(connection, "poller:job", ttl=1)
    assert await lease.acquire() and await lease.renew() and await lease.held()
    await lease.release()
    assert (await WindowCounter(connection, "requests", window=1).hit("caller"))[0] == 1
    buckets = RedisTokenBuckets(connection, fallback=NoFallback())
    assert await buckets.take("caller", per_minute=60, burst=1) == 0
    assert await buckets.take("caller", per_minute=60, burst=1) > 0
    channel = Channel(connection, "events")
    async with channel.subscribe() as subscription:
        assert await channel.publish({"n": 1}) == 1
        assert await subscription.next(wait_seconds=1) == {"n": 1}

    # The fleet's pollers: the lease, the script that stores and publishes, the messages.
    async def job(name: str) -> JobCandidates:
        return read(candidate(1))

    errors = redis_commands("error")
    leader, follower = (FleetLiveJobs(job, connection, interval=0.05) for _ in range(2))
    async with leader.watch(JOB) as leading, follower.watch(JOB) as following:
        assert leader.leading == [JOB] and follower.leading == []
        assert following.baseline == leading.baseline
    await leader.close()
    await follower.close()
    assert redis_commands("error") == errors
    await connection.close()
