"""What one request spent of SageMaker, and the per-caller budget of SageMaker calls.

The request's :class:`Usage` sits in a context variable, so the one place calls go out (and
the caches in front of it) can count without every layer passing it down. A call shared by
concurrent identical reads runs in the task of the request that started it, which inherits
that request's context: the call is counted, and spent, once, by that request.
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from dataclasses import dataclass

from gateway.errors import Throttled
from gateway.rate_limits import TokenBuckets


@dataclass(slots=True)
class Usage:
    caller: str
    """The key the caller's budget is kept under."""
    calls: int = 0
    retries: int = 0
    seconds: float = 0.0
    """Time spent in SageMaker calls, summed: calls made at once add up."""
    cache_hits: int = 0
    """SageMaker answers taken from the cache or shared with an identical call in flight."""
    result_cache_hits: int = 0

    def cost(self) -> dict[str, int | float]:
        """The ``extensions.cost`` of an answer."""
        return {
            "sagemakerCalls": self.calls,
            "sagemakerRetries": self.retries,
            "sagemakerMilliseconds": round(self.seconds * 1000, 1),
            "cacheHits": self.cache_hits,
            "resultCacheHits": self.result_cache_hits,
        }


current_usage: ContextVar[Usage | None] = ContextVar("current_usage", default=None)


class CallBudget:
    """At most ``per_minute`` SageMaker calls per caller, a minute's worth at once."""

    def __init__(self, buckets: TokenBuckets, per_minute: int) -> None:
        self._buckets = buckets
        self._per_minute = per_minute

    async def spend(self, caller: str) -> None:
        """Takes one call from the caller's budget; ``THROTTLED`` when it is spent."""
        wait = await self._buckets.take(
            "sagemaker\x00" + caller, per_minute=self._per_minute, burst=self._per_minute
        )
        if wait > 0:
            raise Throttled(
                f"This caller has used its {self._per_minute} SageMaker calls a minute; "
                f"try again in {max(1, math.ceil(wait))} s."
            )
