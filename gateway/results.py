"""Whole results of operations, reused for as long as everything they read stays valid.

A result is cached only when it has no errors, under the caller's scope and the exact
operation (query, variables, operation name), for the shortest remaining TTL of the
SageMaker answers it was built from. A cached result is therefore the same data an uncached
one would be, and a warm page costs neither SageMaker calls nor GraphQL execution.
"""

from __future__ import annotations

import hashlib

import orjson
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from gateway.cache import Cache


class ResultCache:
    def __init__(self, cache: Cache, *, max_ttl: float) -> None:
        self._cache = cache
        self._max_ttl = max_ttl

    @staticmethod
    def key(scope: str, request: GraphQLRequestData) -> str:
        operation = orjson.dumps(
            [scope, request.query, request.variables, request.operation_name],
            option=orjson.OPT_SORT_KEYS,
        )
        return "result\x00" + hashlib.sha256(operation).hexdigest()

    async def get(self, key: str) -> ExecutionResult | None:
        cached = await self._cache.get(key)
        return None if cached is None else ExecutionResult(data=cached.value, errors=None)

    async def put(self, key: str, result: ExecutionResult, freshness: float) -> None:
        ttl = min(freshness, self._max_ttl)
        if result.errors or result.data is None or ttl <= 0:
            return
        size = len(orjson.dumps(result.data))
        await self._cache.set(key, result.data, ttl=ttl, size=size)
