"""Subscriptions across a fleet, end to end: graphql-transport-ws clients on every replica,
gateways under uvicorn sharing a real redis-server, a local SageMaker job that runs 4 s.

However many replicas have subscribers, the job is read once per poll interval, and every
subscriber gets the job's whole history; a replica or Redis going away mid-run loses none of
it for the subscribers of the others.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from typing import Any

import boto3
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.local.server import LocalSageMaker
from gateway.sagemaker.metrics import upstream_calls
from gateway.settings import Settings
from tests.fleet.redis_server import RedisServer
from tests.gateway_server import TEST_CREDENTIALS, GraphQLClient, running_gateway, serving
from tests.schema.test_subscriptions import (
    EVENTS,
    FINAL,
    POLL,
    check_complete_history,
    events_of,
    running_job,
)
from tests.subscription_clients import TransportWS, transport_ws

DESCRIBE = "describe_auto_ml_job_v2"


@pytest.fixture(scope="module")
def live_sagemaker() -> Iterator[LocalSageMaker]:
    """A local SageMaker of this module's own: its running jobs are in no other test's lists."""
    with LocalSageMaker(seed=False) as sagemaker:
        yield sagemaker


@pytest.fixture(scope="module")
def sagemaker_client(live_sagemaker: LocalSageMaker) -> Any:
    return boto3.client(
        "sagemaker",
        endpoint_url=live_sagemaker.endpoint_url,
        region_name=live_sagemaker.region,
        aws_access_key_id=TEST_CREDENTIALS.access_key_id,
        aws_secret_access_key=TEST_CREDENTIALS.secret_access_key,
    )


@pytest.fixture(scope="module")
def gateway_settings(live_sagemaker: LocalSageMaker) -> Settings:
    return Settings(
        auth_mode="none",
        sagemaker_endpoint_url=live_sagemaker.endpoint_url,
        aws_region=live_sagemaker.region,
    )


def live_settings(gateway_settings: Settings, redis: RedisServer) -> Settings:
    """Replicas polling every 0.2 s; Redis's timeout generous for the event loop's delays of
    three replicas and their clients in one process."""
    update = {
        "redis_url": SecretStr(redis.url),
        "redis_timeout_seconds": 2.0,
        "live_poll_seconds": POLL,
    }
    return gateway_settings.model_copy(update=update)


def final_state(settings: Settings, job: str) -> dict[str, Any]:
    """The finished job as a gateway with nothing cached reads it from SageMaker (a replica
    may answer from its own cache, up to GATEWAY_ACTIVE_CACHE_TTL_SECONDS old)."""
    with running_gateway(settings) as url:
        return GraphQLClient(url).data(FINAL, job=job)


class Replica:
    def __init__(self, settings: Settings) -> None:
        self.app: Starlette = create_app(settings, credentials=TEST_CREDENTIALS)
        self._stack = ExitStack()
        self.url = self._stack.enter_context(serving(self.app))

    def leads(self, job: str) -> bool:
        return job in self.app.state.live.leading

    def stop(self) -> None:
        self._stack.close()


@contextmanager
def replicas(settings: Settings, count: int) -> Iterator[list[Replica]]:
    with ExitStack() as stack:
        found = [Replica(settings) for _ in range(count)]
        for replica in found:
            stack.callback(replica.stop)
        yield found


async def subscribers(stack: AsyncExitStack, fleet: list[Replica], each: int) -> list[TransportWS]:
    return [
        await stack.enter_async_context(transport_ws(replica.url))
        for replica in fleet
        for _ in range(each)
    ]


@pytest.mark.slow
async def test_subscribers_on_two_replicas_get_one_history_for_the_calls_of_one_poller(
    gateway_settings: Settings, redis_server: RedisServer, sagemaker_client: Any
) -> None:
    settings = live_settings(gateway_settings, redis_server)
    with replicas(settings, 2) as fleet:
        async with AsyncExitStack() as stack:
            sockets = await subscribers(stack, fleet, each=2)
            job = running_job(sagemaker_client)
            before = upstream_calls(DESCRIBE)
            started = time.monotonic()
            histories = await asyncio.gather(*(ws.collect(EVENTS, job=job) for ws in sockets))
            elapsed = time.monotonic() - started
        describes = upstream_calls(DESCRIBE) - before
    final = final_state(gateway_settings, job)
    events = [events_of(history) for history in histories]
    # one poller for the fleet: one describe per round (and one per subscription, cached)
    assert describes <= elapsed / POLL + 3, (describes, elapsed / POLL)
    assert all(history == events[0] for history in events)  # the same events, times and all
    check_complete_history(events[0], final)


@pytest.mark.slow
async def test_when_the_leader_stops_the_other_replicas_subscribers_lose_nothing(
    gateway_settings: Settings, redis_server: RedisServer, sagemaker_client: Any
) -> None:
    settings = live_settings(gateway_settings, redis_server)
    with replicas(settings, 3) as fleet:
        async with AsyncExitStack() as stack:
            sockets = await subscribers(stack, fleet, each=1)
            job = running_job(sagemaker_client)
            collected = [asyncio.ensure_future(ws.collect(EVENTS, job=job)) for ws in sockets]
            await asyncio.sleep(1.2)  # under way: candidates are being added
            (leader,) = [n for n, replica in enumerate(fleet) if replica.leads(job)]
            await asyncio.to_thread(fleet[leader].stop)
            stopped = upstream_calls(DESCRIBE)
            survivors = [task for n, task in enumerate(collected) if n != leader]
            histories = await asyncio.gather(*survivors)
            collected[leader].cancel()
        read_after = upstream_calls(DESCRIBE) - stopped
        taken_over = [replica.leads(job) for n, replica in enumerate(fleet) if n != leader]
    final = final_state(gateway_settings, job)
    events = [events_of(history) for history in histories]
    assert events[0] == events[1]
    check_complete_history(events[0], final)
    assert read_after > 3  # another replica polled the job for the rest of its run
    assert taken_over == [False, False]  # the job finished: nobody polls it any more


@pytest.mark.slow
async def test_when_redis_dies_every_replica_polls_for_its_own_subscribers(
    gateway_settings: Settings, own_redis: RedisServer, sagemaker_client: Any
) -> None:
    settings = live_settings(gateway_settings, own_redis)
    with replicas(settings, 2) as fleet:
        async with AsyncExitStack() as stack:
            sockets = await subscribers(stack, fleet, each=2)
            job = running_job(sagemaker_client)
            collected = asyncio.gather(*(ws.collect(EVENTS, job=job) for ws in sockets))
            await asyncio.sleep(1.2)
            own_redis.kill()
            histories = await collected
    final = final_state(gateway_settings, job)
    for history in histories:
        check_complete_history(events_of(history), final)
