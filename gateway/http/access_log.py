"""One access log line and one latency observation per request, labelled by its route.

The route label is the path template of the route that serves the request (``/graphql``,
``/graphiql/{digest}/{name}``), taken from the app's own routes, or ``other``: labels stay few
whatever paths clients send.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.observability import HTTP_REQUEST_SECONDS, HTTP_REQUESTS_IN_FLIGHT, caller_id

access_log = logging.getLogger("gateway.access")


def route_label(routes: Sequence[BaseRoute], scope: Scope) -> str:
    for route in routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            return str(getattr(route, "path", "other"))
    return "other"


class AccessLog:
    def __init__(self, app: ASGIApp, *, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

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
            HTTP_REQUEST_SECONDS.labels(route_label(self.routes, scope), str(status)).observe(
                elapsed
            )
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
