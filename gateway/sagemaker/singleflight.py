"""Concurrent identical upstream calls share one call in flight."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._calls: dict[str, asyncio.Future[T]] = {}

    def running(self, key: str) -> bool:
        """Whether a call under ``key`` is in flight, which :meth:`do` would join."""
        return key in self._calls

    async def do(self, key: str, call: Callable[[], Awaitable[T]]) -> T:
        """The result of ``call()``, or of the identical call already in flight under ``key``.

        The shared call runs as its own task, so a caller that gives up (its request was
        cancelled) does not cancel it for the others.
        """
        future = self._calls.get(key)
        if future is None:
            future = asyncio.ensure_future(call())
            self._calls[key] = future
            future.add_done_callback(lambda done: self._finish(key, done))
        return await asyncio.shield(future)

    def _finish(self, key: str, done: asyncio.Future[T]) -> None:
        self._calls.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved here too, in case every caller gave up
