"""Token buckets per caller, behind one small interface a shared backend can implement.

Two limits use them: requests per caller (the HTTP layer's 429) and SageMaker calls per caller
(SageMaker's own limits are per account, so one caller's script must not spend everyone's).
:class:`MemoryTokenBuckets` keeps the buckets in this process;
:class:`~gateway.shared.buckets.RedisTokenBuckets` implements the same one method in Redis, so
that the fleet shares one bucket per caller.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

MAX_BUCKETS = 100_000


class TokenBuckets(Protocol):
    async def take(self, key: str, *, per_minute: float, burst: int) -> float:
        """Takes one token from ``key``'s bucket, which holds at most ``burst`` tokens and
        refills at ``per_minute``. Returns 0 when a token was taken, else the seconds until
        one will be there (nothing is taken then)."""
        ...


class MemoryTokenBuckets:
    """Buckets of this process, at most ``max_buckets`` of them: the one touched longest ago
    goes first, and is then most likely full anyway (a caller idle for a while)."""

    def __init__(
        self, *, max_buckets: int = MAX_BUCKETS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_buckets = max_buckets
        self._clock = clock

    async def take(self, key: str, *, per_minute: float, burst: int) -> float:
        now = self._clock()
        rate = per_minute / 60
        tokens, updated = self._buckets.pop(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - updated) * rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self._max_buckets:
            self._buckets.popitem(last=False)
        return wait
