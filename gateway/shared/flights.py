"""Single-flight across replicas: of those that need the same SageMaker read at once, one calls.

The first replica to miss an entry takes a lease on it (lease.py) and calls SageMaker; the
others wait until the lease is gone, then find the answer in the shared cache. The wait is
bounded by the lease's TTL (one SageMaker attempt's timeouts): a waiter whose leader died or
is slow, or whose Redis stops answering, calls SageMaker itself rather than hang. The leader
looks the entry up again once it holds the lease, in case another replica filled it between
its miss and its lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gateway.shared.connection import RedisConnection, RedisUnavailable
from gateway.shared.lease import Lease

FIRST_POLL_SECONDS = 0.002
MAX_POLL_SECONDS = 0.05


class RedisFlights:
    def __init__(self, connection: RedisConnection, *, wait_seconds: float) -> None:
        self._connection = connection
        self._wait_seconds = wait_seconds

    @asynccontextmanager
    async def fill(self, key: str) -> AsyncIterator[bool]:
        lease = Lease(self._connection, f"flight\x00{key}", ttl=self._wait_seconds)
        try:
            leading: bool | None = await lease.acquire()
        except RedisUnavailable:
            leading = None
        if leading is None:
            yield False  # alone, as a single process would be
            return
        if not leading:
            await self._wait_for(lease)
            yield True
            return
        try:
            yield True
        finally:
            with contextlib.suppress(RedisUnavailable):  # else it expires by itself
                await lease.release()

    async def _wait_for(self, lease: Lease) -> None:
        deadline = time.monotonic() + self._wait_seconds
        pause = FIRST_POLL_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(pause)
            try:
                if not await lease.held():
                    return
            except RedisUnavailable:
                return
            pause = min(pause * 1.5, MAX_POLL_SECONDS)
