"""ASGI middleware: request IDs, body limits, access logs and metrics, and the GraphQL guard.

The guard sits in front of GraphQL execution only (not health checks, metrics or GraphiQL's
static page): it refuses requests a browser could send cross-site without a preflight
(CSRF) and authenticates the caller before any operation runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.auth import Authenticator, AuthError
from gateway.observability import (
    HTTP_REQUEST_SECONDS,
    HTTP_REQUESTS_IN_FLIGHT,
    caller_id,
    new_request_id,
    request_id,
)

access_log = logging.getLogger("gateway.access")

PREFLIGHT_HEADERS = (
    "graphql-require-preflight",
    "apollo-require-preflight",
    "x-apollo-operation-name",
)
ROUTES = ("/graphql", "/healthz", "/readyz", "/metrics", "/graphiql")


def error_body(message: str, code: str, rid: str) -> bytes:
    return orjson.dumps(
        {
            "data": None,
            "errors": [{"message": message, "extensions": {"code": code, "requestId": rid}}],
        }
    )


async def send_error(
    send: Send, status: int, message: str, code: str, rid: str, extra: Mapping[str, str] = {}
) -> None:
    body = error_body(message, code, rid)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass


class RequestContext:
    """Gives every request an ID (echoed as X-Request-ID), bounds its body, logs and times it."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        rid = new_request_id(headers.get("x-request-id"))
        scope.setdefault("state", {})["request_id"] = rid
        rid_token, caller_token = request_id.set(rid), caller_id.set("-")
        started, status = time.perf_counter(), 500
        response_started = False
        received = 0

        async def receive_bounded() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise BodyTooLarge
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        HTTP_REQUESTS_IN_FLIGHT.inc()
        try:
            if int(headers.get("content-length") or 0) > self.max_body_bytes:
                raise BodyTooLarge
            await self.app(scope, receive_bounded, send_with_id)
        except BodyTooLarge:
            if response_started:
                raise
            status = 413
            message = f"The request body is larger than {self.max_body_bytes} bytes."
            await send_error(send_with_id, 413, message, "BAD_USER_INPUT", rid)
        finally:
            HTTP_REQUESTS_IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            path: str = scope.get("path", "")
            route = next((r for r in ROUTES if path == r or path.startswith(r + "/")), "other")
            HTTP_REQUEST_SECONDS.labels(route, str(status)).observe(elapsed)
            access_log.info(
                "%s %s %s",
                scope.get("method"),
                path,
                status,
                extra={
                    "method": scope.get("method"),
                    "path": path,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            request_id.reset(rid_token)
            caller_id.reset(caller_token)


class GraphQLGuard:
    """CSRF prevention and authentication in front of GraphQL execution."""

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
    ) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        rid: str = scope.get("state", {}).get("request_id", "-")
        refusal = csrf_refusal(scope["method"], headers, scope.get("query_string", b""))
        if refusal is not None:
            status, message = refusal
            await send_error(send, status, message, "BAD_USER_INPUT", rid)
            return
        client = scope.get("client")
        try:
            caller = await self.authenticator.authenticate(client[0] if client else None, headers)
        except AuthError as error:
            await send_error(
                send, error.status_code, error.message, error.code, rid, error.headers()
            )
            return
        scope["state"]["caller"] = caller
        caller_id.set(caller.subject)
        await self.app(scope, receive, send)


def csrf_refusal(method: str, headers: Headers, query_string: bytes) -> tuple[int, str] | None:
    """Why a request could have come from another site without a CORS preflight, if it could.

    Browsers send form, multipart and text/plain POSTs, and plain GETs, cross-site without
    asking first; anything else (JSON bodies, custom headers) triggers a preflight that the
    CORS allowlist then decides.
    """
    if method == "POST":
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return 415, "POST bodies must be JSON (Content-Type: application/json)."
        return None
    preflighted = any(name in headers for name in PREFLIGHT_HEADERS)
    if method == "GET" and b"query=" in query_string and not preflighted:
        return 400, (
            "A GET query needs a `GraphQL-Require-Preflight: 1` header (CSRF protection); "
            "or send it as a JSON POST."
        )
    return None
