"""One access log line and one latency observation per request, labelled by its route.

The route label is the path template of the route that served the request (``/graphql``,
``/graphiql/{digest}/{name}``), taken from the app's own routes by the endpoint Starlette's
router records in the scope, or ``other``: labels stay few whatever paths clients send, and
finding one costs a dictionary lookup.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from prometheus_client import Histogram
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.observability import HTTP_REQUEST_SECONDS, HTTP_REQUESTS_IN_FLIGHT, caller_id

access_log = logging.getLogger("gateway.access")


class AccessLog:
    def __init__(self, app: ASGIApp, *, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self._labels: dict[Any, str] = {
            route.endpoint: route.path for route in routes if isinstance(route, Route)
        }
        self._latencies: dict[tuple[str, int], Histogram] = {}

    def _latency(self, route: str, status: int) -> Histogram:
        latency = self._latencies.get((route, status))
        if latency is None:  # statuses and routes are few: this stays small
            latency = self._latencies[(route, status)] = HTTP_REQUEST_SECONDS.labels(
                route, str(status)
            )
        return latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        caller_token = caller_id.set("-")
        HTTP_REQUESTS_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_observed)
        finally:
            HTTP_REQUESTS_IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            route = self._labels.get(scope.get("endpoint"), "other")
            self._latency(route, status).observe(elapsed)
            if access_log.isEnabledFor(logging.INFO):
                method, path = scope.get("method"), scope.get("path", "")
                access_log.info(
                    "%s %s %s",
                    method,
                    path,
                    status,
                    extra={
                        "method": method,
                        "path": path,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 1),
                    },
                )
            caller_id.reset(caller_token)
