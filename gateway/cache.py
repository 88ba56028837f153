"""Caching of SageMaker responses, behind an interface a shared backend can implement.

The in-process :class:`MemoryCache` is an LRU bounded in entries and in bytes (counted as the
size of SageMaker's response body). A backend shared by replicas (e.g. Redis) implements the
same two methods; values are plain JSON-like data with datetimes.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client import Counter, Gauge

CACHE_LOOKUPS = Counter(
    "gateway_cache_lookups", "Cache lookups of SageMaker responses, by result.", ["result"]
)
CACHE_BYTES = Gauge("gateway_cache_bytes", "Bytes of SageMaker responses held in the cache.")


@dataclass(frozen=True, slots=True)
class Cached:
    value: Any
    expires_at: float

    def ttl(self, now: float) -> float:
        return self.expires_at - now


class Cache(Protocol):
    async def get(self, key: str) -> Cached | None: ...

    async def set(self, key: str, value: Any, *, ttl: float, size: int) -> None: ...


class MemoryCache:
    def __init__(
        self,
        *,
        max_entries: int,
        max_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[str, tuple[Cached, int]] = OrderedDict()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._clock = clock

    async def get(self, key: str) -> Cached | None:
        entry = self._entries.get(key)
        if entry is None or entry[0].expires_at <= self._clock():
            if entry is not None:
                self._drop(key)
            CACHE_LOOKUPS.labels("miss").inc()
            return None
        self._entries.move_to_end(key)
        CACHE_LOOKUPS.labels("hit").inc()
        return entry[0]

    async def set(self, key: str, value: Any, *, ttl: float, size: int) -> None:
        if ttl <= 0 or size > self._max_bytes:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = (Cached(value, self._clock() + ttl), size)
        self._bytes += size
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))
        CACHE_BYTES.set(self._bytes)

    def _drop(self, key: str) -> None:
        _, size = self._entries.pop(key)
        self._bytes -= size
        CACHE_BYTES.set(self._bytes)
