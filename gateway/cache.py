"""The gateway's caches, behind one small interface a shared backend can implement.

Two caches use it, each with its own bounds and its own ``cache`` label in the metrics:
``sagemaker`` holds SageMaker's answers, ``results`` whole GraphQL results. The in-process
:class:`MemoryCache` is an LRU bounded in entries and in bytes (the size of what was cached:
SageMaker's response body, or a result's JSON). A backend shared by replicas (e.g. Redis)
implements the same two methods; values are plain JSON-like data with datetimes.

:class:`Flights` coordinates the processes that miss the same entry at the same moment, so
that one of them fills it; :class:`LocalFlights` is the in-process default, where the
process's own single-flight already is all the coordination there is.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client import Counter, Gauge

CACHE_LOOKUPS = Counter(
    "gateway_cache_lookups",
    "Cache lookups, by cache and result (hit or miss).",
    ["cache", "result"],
)
CACHE_BYTES = Gauge("gateway_cache_bytes", "Bytes held in a cache, by cache.", ["cache"])


@dataclass(frozen=True, slots=True)
class Cached:
    value: Any
    expires_at: float
    """On :func:`time.monotonic`'s clock, unless the store was given another."""

    def ttl(self, now: float) -> float:
        return self.expires_at - now


class Cache(Protocol):
    async def get(self, key: str) -> Cached | None: ...

    async def set(self, key: str, value: Any, *, ttl: float, size: int) -> None: ...


class Flights(Protocol):
    def fill(self, key: str) -> AbstractAsyncContextManager[bool]:
        """Held while this process fills ``key``; the others that need it meanwhile wait
        (bounded) until it is done. Yields whether the entry may have been filled by someone
        else meanwhile, so it is worth looking it up again before filling it."""
        ...


class LocalFlights:
    @asynccontextmanager
    async def fill(self, key: str) -> AsyncIterator[bool]:
        yield False


class MemoryCache:
    def __init__(
        self,
        name: str,
        *,
        max_entries: int,
        max_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._entries: OrderedDict[str, tuple[Cached, int]] = OrderedDict()
        self.max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._clock = clock
        self._hits = CACHE_LOOKUPS.labels(name, "hit")
        self._misses = CACHE_LOOKUPS.labels(name, "miss")
        self._bytes_held = CACHE_BYTES.labels(name)

    async def get(self, key: str) -> Cached | None:
        entry = self._entries.get(key)
        if entry is None or entry[0].expires_at <= self._clock():
            if entry is not None:
                self._drop(key)
            self._misses.inc()
            return None
        self._entries.move_to_end(key)
        self._hits.inc()
        return entry[0]

    async def set(self, key: str, value: Any, *, ttl: float, size: int) -> None:
        if ttl <= 0 or size > self._max_bytes:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = (Cached(value, self._clock() + ttl), size)
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))
        self._bytes_held.set(self._bytes)

    def _drop(self, key: str) -> None:
        _, size = self._entries.pop(key)
        self._bytes -= size
        self._bytes_held.set(self._bytes)
