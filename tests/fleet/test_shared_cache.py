"""The shared caches and cross-replica single-flight, against a real redis-server."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from gateway.cache import MemoryCache
from gateway.shared.cache import RedisCache, TieredCache
from gateway.shared.connection import FORMAT_VERSION, RedisConnection
from gateway.shared.flights import RedisFlights
from tests.fleet.redis_server import RedisServer

ANSWER = {"AutoMLJobName": "churn", "CreationTime": datetime(2026, 11, 3, 9, 30, tzinfo=UTC)}


def memory() -> MemoryCache:
    return MemoryCache("sagemaker", max_entries=100, max_bytes=10**6)


async def test_replicas_read_each_others_answers_for_their_remaining_ttl(
    connection: RedisConnection,
) -> None:
    one = RedisCache(connection, "sagemaker", max_entry_bytes=10**6)
    other = RedisCache(connection, "sagemaker", max_entry_bytes=10**6)
    await one.set("describe\x00churn", ANSWER, ttl=30, size=100)
    cached = await other.get("describe\x00churn")
    assert cached is not None
    assert cached.value == ANSWER
    assert 29 < cached.ttl(time.monotonic()) <= 30
    assert await other.get("describe\x00other") is None


async def test_entries_expire_with_their_ttl(connection: RedisConnection) -> None:
    cache = RedisCache(connection, "sagemaker", max_entry_bytes=10**6)
    await cache.set("k", ANSWER, ttl=0.05, size=1)
    await cache.set("never", ANSWER, ttl=0, size=1)
    assert await cache.get("k") is not None
    await asyncio.sleep(0.1)
    assert await cache.get("k") is None
    assert await cache.get("never") is None


async def test_entries_over_the_size_bound_are_not_shared(
    connection: RedisConnection, redis_server: RedisServer
) -> None:
    cache = RedisCache(connection, "results", max_entry_bytes=1000)
    await cache.set("small", b"x" * 999, ttl=30, size=999)  # 1000 bytes with its kind
    await cache.set("large", b"x" * 1000, ttl=30, size=1000)
    assert await cache.get("small") is not None
    assert await cache.get("large") is None
    assert redis_server.client().dbsize() == 1


async def test_keys_carry_the_prefix_and_the_format_version(
    connection: RedisConnection, redis_server: RedisServer
) -> None:
    await RedisCache(connection, "results", max_entry_bytes=10**6).set("k", b"body", ttl=30, size=4)
    (key,) = redis_server.client().keys()
    assert key.decode().startswith(f"test:v{FORMAT_VERSION}:results:")
    # Another version (or another gateway's prefix) never reads it, nor writes over it.
    other_version = RedisConnection(connection.client, key_prefix="test", timeout=1)
    other_version._prefix = f"test:v{FORMAT_VERSION + 1}:"
    assert await RedisCache(other_version, "results", max_entry_bytes=10**6).get("k") is None
    other_prefix = RedisConnection(connection.client, key_prefix="other", timeout=1)
    assert await RedisCache(other_prefix, "results", max_entry_bytes=10**6).get("k") is None


async def test_an_unreadable_entry_is_a_miss(
    connection: RedisConnection, redis_server: RedisServer
) -> None:
    cache = RedisCache(connection, "sagemaker", max_entry_bytes=10**6)
    redis_server.client().set(connection.key("sagemaker", "k"), b"\x80\x04pickled", px=30_000)
    assert await cache.get("k") is None


async def test_the_tiered_cache_keeps_what_redis_answered_in_memory(
    connection: RedisConnection, redis_server: RedisServer
) -> None:
    writer = TieredCache(memory(), RedisCache(connection, "sagemaker", max_entry_bytes=10**6))
    await writer.set("k", ANSWER, ttl=30, size=100)
    front = memory()
    reader = TieredCache(front, RedisCache(connection, "sagemaker", max_entry_bytes=10**6))
    first = await reader.get("k")
    assert first is not None and first.value == ANSWER
    redis_server.flush()
    second = await reader.get("k")  # from memory now
    assert second is not None and second.value == ANSWER
    assert (await front.get("k")) is not None


async def test_only_one_replica_fills_an_entry_the_others_wait_for_it(
    connection: RedisConnection,
) -> None:
    calls = 0
    replicas = [
        (
            TieredCache(memory(), RedisCache(connection, "sagemaker", max_entry_bytes=10**6)),
            RedisFlights(connection, wait_seconds=5),
        )
        for _ in range(3)
    ]

    async def read(cache: TieredCache, flights: RedisFlights) -> object:
        nonlocal calls
        if (cached := await cache.get("k")) is not None:
            return cached.value
        async with flights.fill("k") as filled_elsewhere:
            if filled_elsewhere and (cached := await cache.get("k")) is not None:
                return cached.value
            calls += 1
            await asyncio.sleep(0.05)  # SageMaker taking its time
            await cache.set("k", ANSWER, ttl=30, size=100)
            return ANSWER

    answers = await asyncio.gather(*(read(*replicas[i % 3]) for i in range(30)))
    assert answers == [ANSWER] * 30
    assert calls == 1


async def test_a_waiter_fills_the_entry_itself_when_the_leader_gives_no_answer(
    connection: RedisConnection,
) -> None:
    leader, waiter = (
        RedisFlights(connection, wait_seconds=5),
        RedisFlights(connection, wait_seconds=5),
    )
    async with leader.fill("k") as filled_elsewhere:
        assert filled_elsewhere  # the leader looks again: someone may have filled it meanwhile
        started = time.monotonic()
        waiting = asyncio.ensure_future(waiter.fill("k").__aenter__())
        await asyncio.sleep(0.1)
        assert not waiting.done()
    # The leader failed (no entry): the waiter goes on at once, to call SageMaker itself.
    assert await asyncio.wait_for(waiting, 1) is True
    assert time.monotonic() - started < 0.5


async def test_the_wait_for_a_leader_is_bounded(connection: RedisConnection) -> None:
    stuck = RedisFlights(connection, wait_seconds=60)
    waiter = RedisFlights(connection, wait_seconds=0.2)
    async with stuck.fill("k"):
        started = time.monotonic()
        async with waiter.fill("k") as filled_elsewhere:
            waited = time.monotonic() - started
    assert filled_elsewhere
    assert 0.15 < waited < 0.5


async def test_a_paused_redis_costs_one_timeout_then_nothing_until_it_answers(
    own_redis: RedisServer,
) -> None:
    connection = RedisConnection.from_url(own_redis.url, key_prefix="test", timeout=0.1)
    cache = RedisCache(connection, "sagemaker", max_entry_bytes=10**6)
    await cache.set("k", ANSWER, ttl=30, size=1)
    own_redis.pause()
    try:
        started = time.monotonic()
        assert await cache.get("k") is None  # a miss, not an error
        assert time.monotonic() - started < 0.3
        assert connection.state().startswith("unavailable (no answer within 0.1 s)")
        started = time.monotonic()
        for _ in range(100):
            assert await cache.get("k") is None  # the breaker is open: Redis is not asked
        assert time.monotonic() - started < 0.05
    finally:
        own_redis.resume()
    deadline = time.monotonic() + 5
    while connection.state() != "ok" and time.monotonic() < deadline:
        await connection.probe()
        await asyncio.sleep(0.1)
    assert connection.state() == "ok"
    cached = await cache.get("k")
    assert cached is not None and cached.value == ANSWER
    await connection.close()
