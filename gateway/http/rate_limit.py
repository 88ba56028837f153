"""Requests per caller are limited by a token bucket: over it, HTTP 429 with ``Retry-After``.

It runs after authentication, so the caller is known: the token's subject, the proxy's user,
or the client's address when authentication is off (every anonymous caller is one subject).
Each operation a WebSocket subscribes to takes a token from the same bucket
(:class:`CallerRate`), so a connection is no way around the limit.
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


def throttled_message(seconds: int) -> str:
    return f"Too many requests from this caller; try again in {seconds} s."


class CallerRate:
    """The requests-per-caller limit: one token per HTTP request or WebSocket operation."""

    def __init__(self, buckets: TokenBuckets, *, per_minute: int, burst: int) -> None:
        self._buckets = buckets
        self._per_minute = per_minute
        self._burst = burst

    async def wait(self, scope: Scope) -> int:
        """Takes a token from the caller's bucket: 0, else the whole seconds until one is
        there (and the refusal is counted)."""
        key = "requests\x00" + caller_key(scope)
        wait = await self._buckets.take(key, per_minute=self._per_minute, burst=self._burst)
        if wait <= 0:
            return 0
        THROTTLED_REQUESTS.inc()
        return max(1, math.ceil(wait))


class RateLimit:
    def __init__(self, app: ASGIApp, *, rate: CallerRate) -> None:
        self.app = app
        self._rate = rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seconds = await self._rate.wait(scope)
        if seconds:
            await send_error(
                send, 429, throttled_message(seconds), "THROTTLED", {"retry-after": str(seconds)}
            )
            return
        await self.app(scope, receive, send)
