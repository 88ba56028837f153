"""The primitives other features share through Redis: leases, channels, window counters."""

from __future__ import annotations

import asyncio

import pytest

from gateway.shared.channel import Channel
from gateway.shared.connection import RedisConnection, RedisUnavailable
from gateway.shared.counter import WindowCounter
from gateway.shared.lease import Lease
from tests.fleet.redis_server import free_port


async def test_one_holder_at_a_time_until_it_releases(connection: RedisConnection) -> None:
    first, second = (
        Lease(connection, "poller:churn", ttl=5),
        Lease(connection, "poller:churn", ttl=5),
    )
    assert await first.acquire()
    assert not await second.acquire()
    assert await second.held()
    await second.release()  # not its lease: nothing happens
    assert not await second.acquire()
    await first.release()
    assert not await first.held()
    assert await second.acquire()


async def test_a_lease_not_renewed_expires_and_its_old_holder_cannot_renew_it(
    connection: RedisConnection,
) -> None:
    old, new = Lease(connection, "poller:churn", ttl=0.1), Lease(connection, "poller:churn", ttl=5)
    assert await old.acquire()
    assert await old.renew()
    await asyncio.sleep(0.15)
    assert await new.acquire()
    assert not await old.renew()
    await old.release()
    assert await new.held()


async def test_renewing_keeps_the_lease(connection: RedisConnection) -> None:
    holder, other = Lease(connection, "poller:x", ttl=0.1), Lease(connection, "poller:x", ttl=1)
    assert await holder.acquire()
    for _ in range(4):
        await asyncio.sleep(0.05)
        assert await holder.renew()
    assert not await other.acquire()


async def test_every_subscribed_replica_receives_a_published_message(
    connection: RedisConnection,
) -> None:
    channel = Channel(connection, "job:churn")
    async with channel.subscribe() as one, channel.subscribe() as other:
        assert await channel.publish({"status": "Completed", "candidates": 250}) == 2
        assert await one.next(wait_seconds=1) == {"status": "Completed", "candidates": 250}
        assert await other.next(wait_seconds=1) == {"status": "Completed", "candidates": 250}
        assert await one.next(wait_seconds=0.05) is None
    assert await Channel(connection, "job:other").publish({"x": 1}) == 0


async def test_a_window_counter_counts_across_replicas_and_starts_again(
    connection: RedisConnection,
) -> None:
    one, other = (WindowCounter(connection, "requests", window=0.2) for _ in range(2))
    counts = await asyncio.gather(*(c.hit("caller-a") for c in [one, other] * 10))
    assert sorted(count for count, _ in counts) == list(range(1, 21))
    assert all(0 < left <= 0.2 for _, left in counts)
    assert (await one.hit("caller-b", 5))[0] == 5
    await asyncio.sleep(0.25)
    assert (await other.hit("caller-a"))[0] == 1


async def test_primitives_report_an_unavailable_redis() -> None:
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    connection = RedisConnection.from_url(nobody, key_prefix="test", timeout=0.1)
    with pytest.raises(RedisUnavailable):
        await Lease(connection, "x", ttl=1).acquire()
    with pytest.raises(RedisUnavailable):
        await WindowCounter(connection, "x", window=1).hit("k")
    with pytest.raises(RedisUnavailable):
        await Channel(connection, "x").publish({})
    await connection.close()
