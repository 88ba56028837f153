"""Whole results of operations, reused for as long as everything they read stays valid.

A result is cached only when it has no errors, under the caller's scope and the exact
operation (query, variables, operation name), for the shortest remaining TTL of the
SageMaker answers it was built from. It is kept as the response body's bytes, so a warm
answer costs neither SageMaker calls nor GraphQL work: the view sends the bytes as they are.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from strawberry.types import ExecutionResult

from gateway.cache import Cache


def operation_key(
    scope: str, query: str | None, variables: dict[str, Any] | None, operation_name: str | None
) -> str:
    operation = orjson.dumps([scope, query, variables, operation_name], option=orjson.OPT_SORT_KEYS)
    return "result\x00" + hashlib.sha256(operation).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredResult:
    body: bytes
    """The response body: ``{"data": ...}`` as sent."""
    seconds_left: float
    """How long the result stays valid: what HTTP caches may keep it for."""


class ResultCache:
    def __init__(
        self, cache: Cache, *, max_ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """``clock`` is the one the store's expiry times are on (see :class:`Cached`)."""
        self._cache = cache
        self._max_ttl = max_ttl
        self._clock = clock

    async def lookup(self, key: str) -> StoredResult | None:
        cached = await self._cache.get(key)
        if cached is None:
            return None
        return StoredResult(bytes(cached.value), max(0.0, cached.ttl(self._clock())))

    async def body(self, key: str) -> bytes | None:
        """The response body of a cached result: ``{"data": ...}`` as sent."""
        cached = await self._cache.get(key)
        return None if cached is None else bytes(cached.value)

    async def get(self, key: str) -> ExecutionResult | None:
        body = await self.body(key)
        return (
            None if body is None else ExecutionResult(data=orjson.loads(body)["data"], errors=None)
        )

    async def put(self, key: str, result: ExecutionResult, freshness: float) -> float:
        """Keeps a result without errors; returns how long it stays valid (0: not at all)."""
        ttl = min(freshness, self._max_ttl)
        if result.errors or result.data is None or result.extensions or ttl <= 0:
            return 0.0
        body = orjson.dumps({"data": result.data})
        await self._cache.set(key, body, ttl=ttl, size=len(body))
        return ttl
