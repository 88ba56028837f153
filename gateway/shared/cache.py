"""Caches shared by the replicas: Redis, with each process's memory in front of it.

:class:`RedisCache` keeps values (see codec.py) under versioned keys with Redis's own expiry, so
every replica reuses an answer for exactly its remaining TTL. An entry larger than
``max_entry_bytes`` is not shared. When Redis is unavailable a lookup is a miss and a store is
skipped: the cache is an optimisation, never a source of errors.

:class:`TieredCache` answers from the in-process cache first, so a warm hit costs what it costs
without Redis; only a miss there asks Redis, and Redis's answer is then kept in memory too.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from gateway.cache import CACHE_LOOKUPS, Cached, MemoryCache
from gateway.sagemaker.singleflight import SingleFlight
from gateway.shared import codec
from gateway.shared.connection import RedisConnection, RedisUnavailable

logger = logging.getLogger(__name__)


class RedisCache:
    def __init__(
        self,
        connection: RedisConnection,
        name: str,
        *,
        max_entry_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connection = connection
        self._kind = name
        self._max_entry_bytes = max_entry_bytes
        self._hits = CACHE_LOOKUPS.labels(f"{name}-redis", "hit")
        self._misses = CACHE_LOOKUPS.labels(f"{name}-redis", "miss")
        self._clock = clock

    async def lookup(self, key: str) -> tuple[Any, float, int] | None:
        """The value of ``key``, its remaining TTL in seconds and its size, or None."""
        redis_key = self._connection.key(self._kind, key)

        async def get_with_ttl() -> list[Any]:
            async with self._connection.client.pipeline(transaction=False) as pipe:
                pipe.get(redis_key)
                pipe.pttl(redis_key)
                result: list[Any] = await pipe.execute()
                return result

        try:
            data, ttl_ms = await self._connection.run("cache-get", get_with_ttl)
        except RedisUnavailable:
            self._misses.inc()
            return None
        if data is None or ttl_ms is None or ttl_ms <= 0:
            self._misses.inc()
            return None
        try:
            value = codec.decode(data)
        except codec.UndecodableValue as error:
            logger.warning("ignoring an unreadable shared %s entry: %s", self._kind, error)
            self._misses.inc()
            return None
        self._hits.inc()
        return value, ttl_ms / 1000, len(data)

    async def get(self, key: str) -> Cached | None:
        found = await self.lookup(key)
        if found is None:
            return None
        value, ttl, _ = found
        return Cached(value, self._clock() + ttl)

    async def set(self, key: str, value: Any, *, ttl: float, size: int) -> None:
        if ttl <= 0:
            return
        data = codec.encode(value)
        if len(data) > self._max_entry_bytes:
            return
        redis_key = self._connection.key(self._kind, key)
        milliseconds = max(1, int(ttl * 1000))
        with contextlib.suppress(RedisUnavailable):
            await self._connection.run(
                "cache-set", lambda: self._connection.client.set(redis_key, data, px=milliseconds)
            )


class TieredCache:
    def __init__(
        self,
        memory: MemoryCache,
        shared: RedisCache,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._memory = memory
        self._shared = shared
        self._clock = clock
        self._lookups: SingleFlight[Cached | None] = SingleFlight()

    async def get(self, key: str) -> Cached | None:
        cached = await self._memory.get(key)
        if cached is not None:
            return cached
        # Requests that miss the same entry at once (a burst of identical queries) share one
        # Redis lookup, as they share one SageMaker call.
        return await self._lookups.do(key, lambda: self._from_shared(key))

    async def _from_shared(self, key: str) -> Cached | None:
        found = await self._shared.lookup(key)
        if found is None:
            return None
        value, ttl, size = found
        await self._memory.set(key, value, ttl=ttl, size=size)
        return Cached(value, self._clock() + ttl)

    async def set(self, key: str, value: Any, *, ttl: float, size: int) -> None:
        await self._memory.set(key, value, ttl=ttl, size=size)
        await self._shared.set(key, value, ttl=ttl, size=size)
