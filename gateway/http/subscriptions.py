"""Subscriptions' connections: who may open one, how many, and what a refusal looks like.

Strawberry speaks graphql-transport-ws and SSE; this module adds the gateway's rules to it.
A WebSocket authenticates with its ``connection_init`` payload (``{"Authorization": "Bearer
..."}``) or its upgrade request's headers, like a query; a refusal closes it with the
protocol's code (4401 not authenticated, 4429 over the caller's connections, 1013 while the
identity provider's keys cannot be fetched). Over the subscriptions of one connection, the
subscription gets an error with ``extensions.code``.

Only subscriptions run over a WebSocket (queries and mutations go over HTTP, where they are
cached and limited), and each passes the guards an HTTP request passes: persisted and trusted
documents, the caller's rate limit and SageMaker budget. Each runs with its own
:class:`~gateway.schema.context.Context`, whose deadline and read budget are its own.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Protocol, cast

from graphql import GraphQLError
from starlette.datastructures import Headers
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)

from gateway.auth import AuthError, AuthUnavailable, Caller
from gateway.http.errors import RequestError
from gateway.http.operations import Operation
from gateway.http.rate_limit import caller_key
from gateway.observability import new_request_id, request_id
from gateway.sagemaker.usage import Usage, current_usage
from gateway.schema.context import Context

MAX_REASON_BYTES = 123  # a WebSocket close frame's reason
OPERATION_CONTEXT: ContextVar[Context | None] = ContextVar("operation_context", default=None)
"""The context of the operation whose task reads it; None in the connection's own task."""


def expiry(caller: Caller, leeway: float) -> float | None:
    """When the caller's token stops being accepted (Unix time), if it expires."""
    exp = caller.claims.get("exp")
    return float(exp) + leeway if isinstance(exp, int | float) else None


class ConnectionRefused(Exception):
    """Closes a WebSocket that asked to start, with ``code`` and a reason the client sees."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason.encode()[:MAX_REASON_BYTES].decode(errors="ignore")

    @classmethod
    def of(cls, error: AuthError) -> ConnectionRefused:
        return cls(1013 if isinstance(error, AuthUnavailable) else 4401, error.message)


def connection_headers(headers: Headers, params: Mapping[str, object]) -> Headers:
    """The upgrade request's headers, with the ``connection_init`` payload's Authorization
    (any case) in place of theirs: browsers cannot set headers on a WebSocket."""
    given = [value for key, value in params.items() if key.lower() == "authorization"]
    if not given:
        return headers
    if len(given) > 1 or not isinstance(given[0], str):
        raise ConnectionRefused(4401, "connection_init's Authorization must be one string.")
    raw = [(k, v) for k, v in headers.raw if k.lower() != b"authorization"]
    return Headers(raw=[*raw, (b"authorization", given[0].encode("latin-1", "replace"))])


class ConnectionLimits:
    """Open subscription connections per caller, in this process."""

    def __init__(self, per_caller: int) -> None:
        self._per_caller = per_caller
        self._open: Counter[str] = Counter()

    def acquire(self, caller: str) -> None:
        """Counts a connection of ``caller`` (its rate limit's key: anonymous callers are
        told apart by their address), or refuses it."""
        if self._open[caller] >= self._per_caller:
            raise ConnectionRefused(
                4429, f"Too many open subscription connections (at most {self._per_caller})."
            )
        self._open[caller] += 1

    def release(self, caller: str) -> None:
        self._open[caller] -= 1
        if self._open[caller] <= 0:
            del self._open[caller]


class TextFrames(ASGIWebSocketAdapter):
    """Sends every message as a text frame, as graphql-transport-ws requires: the view encodes
    JSON to bytes (orjson), which Strawberry would send as binary frames that browsers' clients
    cannot read."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class Limited(Protocol):
    """What the handler reads from its view."""

    subscriptions_per_connection: int
    connection_limits: ConnectionLimits

    async def admit(self, context: Context, payload: object) -> Operation:
        """A subscribe message's operation, with the text it runs; a RequestError if it may
        not run."""
        ...


def subscribe_message(operation_id: str, operation: Operation) -> SubscribeMessage:
    """What Strawberry runs: the operation's own text, a persisted one's filled in."""
    assert operation.query is not None
    return {
        "id": operation_id,
        "type": "subscribe",
        "payload": {
            "query": operation.query,
            "variables": operation.variables,
            "operationName": operation.operation_name,
            "extensions": operation.extensions,
        },
    }


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws with the gateway's refusals and limits."""

    _connection_context: Context

    @property
    def context(self) -> Context:
        """The running operation's own context in its task, else the connection's: Strawberry
        hands the handler's one context to every operation."""
        own = OPERATION_CONTEXT.get()
        return self._connection_context if own is None else own

    @context.setter
    def context(self, context: Context) -> None:
        self._connection_context = context

    @property
    def _limited(self) -> Limited:
        return cast(Limited, self.view)

    async def _refuse(self, operation_id: str, message: str, code: str) -> None:
        error = GraphQLError(message, extensions={"code": code, "requestId": request_id.get()})
        await self.send_message({"id": operation_id, "type": "error", "payload": [error.formatted]})

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except ConnectionRefused as refused:
            await self.websocket.close(code=refused.code, reason=refused.reason)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        operation_id = message["id"]
        if not self.connection_acknowledged or operation_id in self.operations:
            await super().handle_subscribe(message)  # which closes the connection
            return
        # Each operation gets its own request ID in logs and errors, and its own deadline and
        # read budget: the connection's could be hours old. Its task copies these variables.
        request_id.set(new_request_id(None))
        most = self._limited.subscriptions_per_connection
        if len(self.operations) >= most:
            await self._refuse(
                operation_id,
                f"This connection has {most} subscriptions, the "
                "most it may have; complete one or open another connection.",
                "BAD_USER_INPUT",
            )
            return
        connection = self.context
        try:
            operation = await self._limited.admit(connection, message.get("payload"))
        except RequestError as error:
            await self._refuse(operation_id, error.message, error.code)
            return
        live = connection.live
        context = dataclasses.replace(
            connection, autopilot=connection.autopilot if live is None else live.renew()
        )
        own_context = OPERATION_CONTEXT.set(context)
        usage = current_usage.set(Usage(caller_key(connection.request.scope)))
        try:
            await super().handle_subscribe(subscribe_message(operation_id, operation))
        finally:
            current_usage.reset(usage)
            OPERATION_CONTEXT.reset(own_context)

    async def shutdown(self) -> None:
        await super().shutdown()
        live = self.context.live
        if live is not None and live.holder is not None:
            self._limited.connection_limits.release(live.holder)
            live.holder = None
