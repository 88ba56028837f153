"""Fixtures for a fleet: a real redis-server, and gateways that share it.

Reusable by any test of what replicas share (caches, leases, channels, counters).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from gateway.shared.connection import RedisConnection
from tests.fleet.redis_server import REDIS_SERVER, RedisServer
from tests.system_packages import require


@pytest.fixture(scope="session")
def redis_binary() -> Path:
    return require("redis-server", REDIS_SERVER)


@pytest.fixture(scope="session")
def session_redis(
    redis_binary: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RedisServer]:
    """One redis-server for the tests that leave it running."""
    with RedisServer(redis_binary, tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_server(session_redis: RedisServer) -> RedisServer:
    """The session's redis-server, emptied."""
    session_redis.flush()
    return session_redis


@pytest.fixture
def own_redis(redis_binary: Path, tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, for tests that kill, pause or restart it."""
    with RedisServer(redis_binary, tmp_path) as server:
        yield server


@pytest.fixture
async def connection(redis_server: RedisServer) -> AsyncIterator[RedisConnection]:
    """The gateway's connection to the session's redis-server, with a generous timeout."""
    redis = RedisConnection.from_url(redis_server.url, key_prefix="test", timeout=1.0)
    yield redis
    await redis.close()
