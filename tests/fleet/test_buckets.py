"""The fleet's token buckets in Redis: the in-process buckets' semantics exactly, one bucket
for every replica, buckets that vanish when idle, and the process's own while Redis is down."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.rate_limits import MemoryTokenBuckets
from gateway.shared.buckets import GRACE_MILLISECONDS, RedisTokenBuckets
from gateway.shared.connection import RedisConnection
from tests.fleet.redis_server import RedisServer, free_port
from tests.test_rate_limits import Clock


class NoFallback:
    """For tests that must take from Redis: a take from the process's buckets fails them."""

    async def take(self, key: str, *, per_minute: float, burst: int) -> float:
        raise AssertionError("Redis did not answer: the in-process buckets were used")


LIMITS = st.tuples(
    st.one_of(st.integers(1, 600), st.floats(0.5, 600, allow_nan=False)),  # per minute
    st.integers(1, 30),  # burst
)
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["alice", "bob", "carol"]),
        st.one_of(st.just(0.0), st.floats(0, 0.2), st.floats(0, 90)),  # seconds elapsed
    ),
    min_size=1,
    max_size=60,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(limits=st.fixed_dictionaries({k: LIMITS for k in ["alice", "bob", "carol"]}), steps=STEPS)
async def test_the_redis_script_takes_exactly_as_the_in_process_buckets(
    connection: RedisConnection,
    limits: dict[str, tuple[float, int]],
    steps: list[tuple[str, float]],
) -> None:
    """The same takes at the same times give the same waits, token for token: the script is
    driven by the test's clock instead of Redis's TIME (its only difference in production)."""
    clock = Clock()
    memory = MemoryTokenBuckets(clock=clock)
    shared = RedisTokenBuckets(connection, fallback=NoFallback(), clock=clock)
    example = uuid.uuid4().hex  # every example starts from full buckets
    for caller, elapsed in steps:
        clock.now += elapsed
        per_minute, burst = limits[caller]
        key = f"{example}:{caller}"
        expected = await memory.take(key, per_minute=per_minute, burst=burst)
        taken = await shared.take(key, per_minute=per_minute, burst=burst)
        assert (taken == 0) == (expected == 0)
        assert taken == pytest.approx(expected, rel=1e-12, abs=1e-12)


async def test_replicas_take_from_one_bucket_on_redis_time(
    connection: RedisConnection, redis_server: RedisServer
) -> None:
    """Two replicas' buckets, each with its own connection, on Redis's clock: 3 at once in all,
    not 3 each, even when they take at the same moment."""
    other = RedisConnection.from_url(redis_server.url, key_prefix="test", timeout=1.0)
    replicas = [RedisTokenBuckets(c, fallback=NoFallback()) for c in (connection, other)]
    waits = await asyncio.gather(
        *(replicas[n % 2].take("caller", per_minute=60, burst=3) for n in range(8))
    )
    await other.close()
    assert sorted(waits)[:3] == [0, 0, 0]
    assert all(0 < wait <= 1.0 for wait in sorted(waits)[3:])  # refused takes cost nothing
    assert await replicas[0].take("another caller", per_minute=60, burst=3) == 0


async def test_an_idle_bucket_expires_once_it_would_be_full_again(
    connection: RedisConnection,
) -> None:
    buckets = RedisTokenBuckets(connection, fallback=NoFallback())
    for _ in range(2):
        await buckets.take("caller", per_minute=60, burst=3)  # one token left: 2 s to full
    key = connection.key("bucket", "caller")
    assert key.startswith("test:v1:bucket:")
    ttl = await connection.client.pttl(key)
    assert 2000 - 50 <= ttl - GRACE_MILLISECONDS <= 2000


async def test_without_redis_each_process_limits_alone_within_the_timeout() -> None:
    dead = RedisConnection.from_url(
        f"redis://127.0.0.1:{free_port()}/0", key_prefix="t", timeout=0.1
    )
    clock = Clock()
    buckets = RedisTokenBuckets(dead, fallback=MemoryTokenBuckets(clock=clock))
    started = time.monotonic()
    waits = [await buckets.take("caller", per_minute=60, burst=2) for _ in range(3)]
    assert waits == [0, 0, pytest.approx(1.0)]  # the process's own bucket
    assert time.monotonic() - started < 0.5  # refused at once, then the breaker is open
    await dead.close()
