"""Whole results: kept as bytes, and refreshed ahead by one request before they expire."""

from __future__ import annotations

import asyncio

from strawberry.types import ExecutionResult

from gateway.cache import MemoryCache
from gateway.results import ResultCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def results(clock: Clock) -> ResultCache:
    store = MemoryCache("results", max_entries=10, max_bytes=10**6, clock=clock)
    return ResultCache(store, max_ttl=300, refresh_window=1.0, clock=clock)


def answer(value: int) -> ExecutionResult:
    return ExecutionResult(data={"value": value}, errors=None)


async def body(cache: ResultCache, key: str, *, refreshing_misses: bool = False) -> bytes | None:
    stored = await cache.lookup(key, refreshing_misses=refreshing_misses)
    return None if stored is None else stored.body


def test_one_request_refreshes_a_result_about_to_expire_while_the_others_get_its_bytes() -> None:
    clock = Clock()
    cache = results(clock)

    async def scenario() -> None:
        await cache.put("k", answer(1), freshness=5)
        clock.now += 3.5
        assert await body(cache, "k") == b'{"data":{"value":1}}'  # outside the window
        clock.now += 1.0  # half a second left
        assert await body(cache, "k") is None  # this request runs the operation again
        assert await body(cache, "k", refreshing_misses=True) is None  # ... all of its way
        for _ in range(5):  # everyone else is still answered at once
            assert await body(cache, "k") == b'{"data":{"value":1}}'
        await cache.put("k", answer(2), freshness=5)
        clock.now += 3.0  # the old entry would have expired by now
        assert await body(cache, "k") == b'{"data":{"value":2}}'

    asyncio.run(scenario())


def test_a_refresh_that_stores_nothing_lets_the_next_request_try() -> None:
    clock = Clock()
    cache = results(clock)

    async def scenario() -> None:
        await cache.put("k", answer(1), freshness=5)
        clock.now += 4.2
        assert await body(cache, "k") is None
        await cache.put("k", ExecutionResult(data=None, errors=None), freshness=5)  # not kept
        assert await body(cache, "k") is None  # the next request tries again
        assert await body(cache, "k") == b'{"data":{"value":1}}'  # and only that one

    asyncio.run(scenario())


def test_without_a_window_nothing_is_refreshed_ahead() -> None:
    clock = Clock()
    store = MemoryCache("results", max_entries=10, max_bytes=10**6, clock=clock)
    cache = ResultCache(store, max_ttl=300, clock=clock)

    async def scenario() -> None:
        await cache.put("k", answer(1), freshness=5)
        clock.now += 4.99
        assert await body(cache, "k") == b'{"data":{"value":1}}'
        clock.now += 0.02
        assert await body(cache, "k") is None

    asyncio.run(scenario())
