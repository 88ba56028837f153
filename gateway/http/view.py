"""The GraphQL view: Strawberry's ASGI view with the gateway's context, errors and result cache,
and its subscriptions over graphql-transport-ws and SSE (see :mod:`gateway.http.subscriptions`)."""

from __future__ import annotations

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from prometheus_client import Counter
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from gateway.access import ALL_JOBS, NO_JOBS, JobAccess
from gateway.auth import ANONYMOUS, Authenticator, AuthError, Caller, Policy
from gateway.http.errors import send_error
from gateway.http.headers import header
from gateway.http.subscriptions import (
    ConnectionLimits,
    ConnectionRefused,
    TextFrames,
    TransportWSHandler,
    connection_headers,
)
from gateway.observability import GRAPHQL_OPERATIONS, caller_id
from gateway.results import ResultCache, operation_key
from gateway.sagemaker.autopilot import Autopilot
from gateway.sagemaker.cursors import CursorCodec
from gateway.sagemaker.upstream import Upstream
from gateway.schema import Context
from gateway.schema.context import Live
from gateway.settings import Settings

CACHEABLE_MEMBERS = frozenset({"query", "variables", "operationName"})
MAX_COUNTED_NAMES = 1024  # operation names whose success counter is kept at hand


async def buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The request's body, and a ``receive`` that hands the same messages out again (then
    the server's own), so Strawberry reads the body as if nobody had."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    pending = iter(messages)

    async def replay() -> Message:
        message = next(pending, None)
        return message if message is not None else await receive()

    return body, replay


def expiry(caller: Caller, leeway: float) -> float | None:
    """When the caller's token stops being accepted (Unix time), if it expires."""
    exp = caller.claims.get("exp")
    return float(exp) + leeway if isinstance(exp, int | float) else None


class GraphQLView(GraphQL[Context, None]):
    """Reads ``upstream``, ``results`` and ``live`` from the app's state, which its lifespan
    sets. WebSocket upgrades from origins outside ``GATEWAY_CORS_ALLOW_ORIGINS`` are refused
    (the page's own origin is always allowed): browsers send cookies cross-site."""

    graphql_transport_ws_handler_class = TransportWSHandler
    websocket_adapter_class = TextFrames

    def __init__(
        self,
        schema: BaseSchema,
        settings: Settings,
        cursors: CursorCodec,
        policy: Policy,
        authenticator: Authenticator,
    ) -> None:
        # Strawberry's IDE page loads GraphiQL from a CDN; gateway.graphiql serves our own.
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL),
            max_subscriptions_per_connection=None,  # the handler's own, with a code
            allowed_origins=settings.cors_allow_origins,
        )
        sse = self._get_stream_transport("sse")
        assert sse is not None
        sse.heartbeat_interval = settings.websocket_ping_seconds
        self._settings = settings
        self._cursors = cursors
        self._policy = policy
        self._authenticator = authenticator
        self._ok: dict[str | None, Counter] = {}
        self.subscriptions_per_connection = settings.subscriptions_per_connection
        self.connection_limits = ConnectionLimits(settings.connections_per_caller)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry answers protocol errors (bad JSON, too many operations) in plain text;
        clients get them as GraphQL errors with a code, like every other error."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if "text/event-stream" in (header(scope, b"accept") or ""):
            await self._stream(scope, receive, send)
            return
        if scope["method"] == "POST":
            body, receive = await buffered(receive)
            if await self._send_cached(scope, body, send):
                return
        await self._answer(scope, receive, send)

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An SSE stream, counted among its caller's subscription connections while open."""
        caller: Caller = scope.get("state", {}).get("caller") or ANONYMOUS
        try:
            self.connection_limits.acquire(caller.subject)
        except ConnectionRefused as refused:
            await send_error(send, 429, refused.reason, "BAD_USER_INPUT")
            return
        try:
            await self._answer(scope, receive, send)
        finally:
            self.connection_limits.release(caller.subject)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as error:
            await send_error(send, error.status_code, error.reason, "BAD_USER_INPUT")
            return
        await response(scope, receive, send)

    def _scope(self, scope: Scope) -> str:
        caller = scope.get("state", {}).get("caller")
        return ALL_JOBS.scope if caller is None else self._policy.for_caller(caller).scope

    async def _send_cached(self, scope: Scope, body: bytes, send: Send) -> bool:
        """Sends the stored answer to a JSON POST of one operation answered recently, if any:
        no Strawberry and no GraphQL work, the cheapest answer this gateway gives.

        Anything unusual (a batch, bad JSON, extensions) takes Strawberry's path, which
        reports errors as usual and still reuses the cached result.
        """
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return False
        if type(payload) is not dict or not payload.keys() <= CACHEABLE_MEMBERS:
            return False
        query, variables = payload.get("query"), payload.get("variables")
        name = payload.get("operationName")
        if not (
            isinstance(query, str)
            and (variables is None or isinstance(variables, dict))
            and (name is None or isinstance(name, str))
        ):
            return False
        results: ResultCache = scope["app"].state.results
        answer = await results.body(operation_key(self._scope(scope), query, variables, name))
        if answer is None:
            return False
        self._succeeded(name)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(answer))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})
        return True

    def _succeeded(self, name: str | None) -> None:
        counter = self._ok.get(name)
        if counter is None:
            counter = GRAPHQL_OPERATIONS.labels(name or "anonymous", "OK")
            if len(self._ok) < MAX_COUNTED_NAMES:
                self._ok[name] = counter
        counter.inc()

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        results: ResultCache = request.app.state.results
        key = operation_key(
            context.autopilot.scope,
            request_data.query,
            request_data.variables,
            request_data.operation_name,
        )
        result = await results.get(key)
        if result is None:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
            await results.put(key, result, context.autopilot.freshness)
        outcome = "OK"
        if result.errors:
            outcome = str((result.errors[0].extensions or {}).get("code", "INTERNAL"))
        GRAPHQL_OPERATIONS.labels(request_data.operation_name or "anonymous", outcome).inc()
        return result

    def _autopilot(self, connection: HTTPConnection, access: JobAccess | None) -> Autopilot:
        upstream: Upstream = connection.app.state.upstream
        return Autopilot(
            upstream,
            self._settings,
            self._cursors,
            access=access,
            reports=connection.app.state.reports,
        )

    def _live(self, connection: HTTPConnection, access: JobAccess | None) -> Live:
        return Live(connection.app.state.live, renew=lambda: self._autopilot(connection, access))

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        if isinstance(request, WebSocket):  # nothing runs before on_ws_connect lets it in
            return Context(request, self._autopilot(request, NO_JOBS), self._live(request, NO_JOBS))
        caller: Caller | None = request.scope.get("state", {}).get("caller")
        access = None if caller is None else self._policy.for_caller(caller)
        live = self._live(request, access)
        if caller is not None:
            live.expires_at = expiry(caller, self._settings.jwt_leeway_seconds)
        return Context(request, self._autopilot(request, access), live)

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """Authenticates a WebSocket from its ``connection_init`` (or upgrade headers) and
        counts it among its caller's connections; refuses it otherwise."""
        connection, live = context.request, context.live
        assert live is not None
        headers = connection_headers(Headers(scope=connection.scope), context.connection_params)
        try:
            caller = await self._authenticator.authenticate(
                connection.client.host if connection.client else None, headers
            )
        except AuthError as error:
            raise ConnectionRefused.of(error) from None
        self.connection_limits.acquire(caller.subject)
        caller_id.set(caller.subject)
        access = self._policy.for_caller(caller)
        context.autopilot = self._autopilot(connection, access)
        context.live = Live(
            live.feeds,
            renew=lambda: self._autopilot(connection, access),
            expires_at=expiry(caller, self._settings.jwt_leeway_seconds),
            holder=caller.subject,
        )
        return UNSET  # type: ignore[no-any-return]  # an ack without a payload: graphql-ws clients refuse `"payload": null`
