"""Whole results of operations, reused for as long as everything they read stays valid.

A result is cached only when it has no errors, under the caller's scope and the exact
operation (query, variables, operation name), for the shortest remaining TTL of the
SageMaker answers it was built from. It is kept as the response body's bytes, so a warm
answer costs neither SageMaker calls nor GraphQL work: the view sends the bytes as they are.

A hot result is refreshed ahead, like SageMaker's answers (see :mod:`gateway.sagemaker.upstream`):
in the last ``refresh_window`` seconds of its life, one request runs the operation again (and
refreshes what it reads) while the others still get the stored bytes, so a busy leaderboard
never has every client miss at the moment it expires.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from strawberry.types import ExecutionResult

from gateway.cache import Cache, Cached


def operation_key(
    scope: str, query: str | None, variables: dict[str, Any] | None, operation_name: str | None
) -> str:
    operation = orjson.dumps([scope, query, variables, operation_name], option=orjson.OPT_SORT_KEYS)
    return "result\x00" + hashlib.sha256(operation).hexdigest()


MAX_REFRESHING = 10_000
"""Most results being refreshed ahead at once (each is a key and a deadline)."""


@dataclass(frozen=True, slots=True)
class StoredResult:
    body: bytes
    """The response body: ``{"data": ...}`` as sent."""
    seconds_left: float
    """How long the result stays valid: what HTTP caches may keep it for."""

    def execution_result(self) -> ExecutionResult:
        return ExecutionResult(data=orjson.loads(self.body)["data"], errors=None)


class ResultCache:
    def __init__(
        self,
        cache: Cache,
        *,
        max_ttl: float,
        refresh_window: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` is the one the store's expiry times are on (see :class:`Cached`)."""
        self._cache = cache
        self._max_ttl = max_ttl
        self._refresh_window = refresh_window
        self._clock = clock
        self._refreshing: dict[str, float] = {}

    async def lookup(self, key: str, *, refreshing_misses: bool = False) -> StoredResult | None:
        """The stored result, or None: when there is none, for the one request chosen to
        refresh a result about to expire, and, with ``refreshing_misses`` (the operation's
        own way, which the chosen request takes next), while a refresh is under way."""
        cached = await self._cache.get(key)
        if cached is None:
            return None
        now = self._clock()
        if refreshing_misses and self._refreshing.get(key, 0.0) > now:
            return None
        if self._chosen_to_refresh(key, cached, now):
            return None
        return StoredResult(bytes(cached.value), max(0.0, cached.ttl(now)))

    def _chosen_to_refresh(self, key: str, cached: Cached, now: float) -> bool:
        if cached.ttl(now) >= self._refresh_window or self._refreshing.get(key, 0.0) > now:
            return False
        if len(self._refreshing) >= MAX_REFRESHING:
            self._refreshing = {k: t for k, t in self._refreshing.items() if t > now}
        self._refreshing[key] = now + self._refresh_window
        return True

    async def put(self, key: str, result: ExecutionResult, freshness: float) -> float:
        """Keeps a result without errors; returns how long it stays valid (0: not at all)."""
        self._refreshing.pop(key, None)
        ttl = min(freshness, self._max_ttl)
        if result.errors or result.data is None or result.extensions or ttl <= 0:
            return 0.0
        body = orjson.dumps({"data": result.data})
        await self._cache.set(key, body, ttl=ttl, size=len(body))
        return ttl
