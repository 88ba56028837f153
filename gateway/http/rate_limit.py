"""Requests per caller are limited by a token bucket: over it, HTTP 429 with ``Retry-After``.

It runs after authentication, so the caller is known: the token's subject, the proxy's user,
or the client's address when authentication is off (every anonymous caller is one subject).
"""

from __future__ import annotations

import math

from prometheus_client import Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.http.errors import send_error
from gateway.rate_limits import TokenBuckets

THROTTLED_REQUESTS = Counter(
    "gateway_throttled_requests", "Requests refused with HTTP 429: their caller was over its rate."
)


def caller_key(scope: Scope) -> str:
    """Whom a request is counted against: its authenticated subject, else its address."""
    caller = scope.get("state", {}).get("caller")
    if caller is not None and caller.authenticated:
        return f"subject:{caller.subject}"
    client = scope.get("client")
    return f"address:{client[0] if client else '-'}"


class RateLimit:
    def __init__(self, app: ASGIApp, *, buckets: TokenBuckets, per_minute: int, burst: int) -> None:
        self.app = app
        self._buckets = buckets
        self._per_minute = per_minute
        self._burst = burst

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = "requests\x00" + caller_key(scope)
        wait = await self._buckets.take(key, per_minute=self._per_minute, burst=self._burst)
        if wait > 0:
            THROTTLED_REQUESTS.inc()
            seconds = max(1, math.ceil(wait))
            await send_error(
                send,
                429,
                f"Too many requests from this caller; try again in {seconds} s.",
                "THROTTLED",
                {"retry-after": str(seconds)},
            )
            return
        await self.app(scope, receive, send)
