"""The GraphQL view: Strawberry's ASGI view with the gateway's context, errors and result cache.

The view reads every request itself (:mod:`gateway.http.operations`), fills in persisted
operations (:mod:`gateway.http.persisted`) and answers from the result cache when it can, all
before Strawberry; Strawberry then runs what is left from the operations the view read.
Subscriptions run over graphql-transport-ws and SSE (see :mod:`gateway.http.subscriptions`).
"""

from __future__ import annotations

from contextvars import ContextVar

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from prometheus_client import Counter
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from gateway.access import ALL_JOBS, NO_JOBS, JobAccess
from gateway.auth import Authenticator, AuthError, Caller, Policy
from gateway.http.caching import NO_STORE, entity_tag, matches, validity
from gateway.http.cost import cost_requested, with_cost
from gateway.http.errors import NO_OPERATION, RequestError, plain_reason, send_error
from gateway.http.headers import header
from gateway.http.operations import (
    DOCUMENT_ID_MEMBERS,
    Operation,
    buffered,
    operation_from,
    operation_from_query_params,
    operations_from_body,
    request_data,
)
from gateway.http.persisted import PersistedOperations
from gateway.http.rate_limit import CallerRate, caller_key, throttled_message
from gateway.http.subscriptions import (
    ConnectionLimits,
    ConnectionRefused,
    TextFrames,
    TransportWSHandler,
    connection_headers,
    expiry,
)
from gateway.observability import GRAPHQL_OPERATIONS, caller_id
from gateway.results import ResultCache, operation_key
from gateway.sagemaker.autopilot import Autopilot
from gateway.sagemaker.cursors import CursorCodec
from gateway.sagemaker.upstream import Upstream
from gateway.sagemaker.usage import Usage, current_usage
from gateway.schema import Context
from gateway.schema.context import Live
from gateway.schema.errors import coded
from gateway.settings import Settings

MAX_COUNTED_NAMES = 1024  # operation names whose success counter is kept at hand
READ: ContextVar[Operation | list[Operation] | None] = ContextVar("read", default=None)
"""What the view read from the request it is answering, for Strawberry."""
SECONDS_VALID = "gateway.seconds_valid"  # the scope's key for how long the answer is valid
PERSISTED_PARAMETERS = ("extensions", *DOCUMENT_ID_MEMBERS)
DO_NOT_STORE = {"cache-control": NO_STORE}
NO_STORE_HEADER = (b"cache-control", NO_STORE.encode())


class GraphQLView(GraphQL[Context, None]):
    """Reads ``upstream``, ``results``, ``persisted`` and ``live`` from the app's state, which
    its lifespan sets. WebSocket upgrades from origins outside ``GATEWAY_CORS_ALLOW_ORIGINS``
    are refused (the page's own origin is always allowed): browsers send cookies cross-site."""

    graphql_transport_ws_handler_class = TransportWSHandler
    websocket_adapter_class = TextFrames

    def __init__(
        self,
        schema: BaseSchema,
        settings: Settings,
        cursors: CursorCodec,
        policy: Policy,
        authenticator: Authenticator,
        *,
        rate: CallerRate | None = None,
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
        self._rate = rate
        self._ok: dict[str | None, Counter] = {}
        self.subscriptions_per_connection = settings.subscriptions_per_connection
        self.connection_limits = ConnectionLimits(settings.connections_per_caller)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """Strawberry's rule, but a GET of a persisted operation (which has no ``query``) is
        a request for its result, whatever its ``Accept``: ``fetch`` sends ``*/*``."""
        params = request.query_params
        return super().should_render_graphql_ide(request) and not any(
            name in params for name in PERSISTED_PARAMETERS
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Every refusal is a GraphQL error with a code (Strawberry answers its own protocol
        errors in plain text), and no answer but a GET operation's may be stored."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if "text/event-stream" in (header(scope, b"accept") or ""):
            await self._stream(scope, receive, send)
            return
        await self._answer(scope, receive, send)

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An SSE stream, counted among its caller's subscription connections while open."""
        key = caller_key(scope)
        try:
            self.connection_limits.acquire(key)
        except ConnectionRefused as refused:
            await send_error(send, 429, refused.reason, "BAD_USER_INPUT", DO_NOT_STORE)
            return
        try:
            await self._answer(scope, receive, send)
        finally:
            self.connection_limits.release(key)

    def _streamed(self, scope: Scope) -> bool:
        """Whether the request asks for a stream transport (SSE, multipart) by its ``Accept``."""
        accept = header(scope, b"accept") or ""
        lowered = accept.lower()
        if "event-stream" not in lowered and "multipart" not in lowered:
            return False  # what a stream transport's Accept holds, checked first: it is cheap
        return self._get_stream_transport_from_headers({"accept": accept}) is not None

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        costed = cost_requested(scope, always=self._settings.cost_extension)
        try:
            method = scope["method"]
            if method == "POST":
                body, receive = await buffered(receive)
                read = await self._read_body(scope, body)
            elif method == "GET" and scope.get("query_string"):
                read = await self._read_query(scope)
            else:
                read = None  # the IDE's page, a GET without an operation, HEAD: Strawberry's
            if (
                isinstance(read, Operation)
                and not costed
                and await self._send_stored(scope, read, send)
            ):
                return
            usage = Usage(caller_key(scope))
            current_usage.set(usage)
            if costed:  # answered by Strawberry, whose result carries the cost
                scope.setdefault("state", {})["cost"] = usage
            reading = READ.set(read)
            try:
                response = await self.run(Request(scope, receive))
            finally:
                READ.reset(reading)
        except RequestError as error:
            await send_error(send, error.status, error.message, error.code, DO_NOT_STORE)
            return
        except HTTPException as error:
            headers = DO_NOT_STORE | ({"allow": "GET, POST"} if error.status_code == 405 else {})
            await send_error(send, error.status_code, error.reason, "BAD_USER_INPUT", headers)
            return
        if isinstance(response, StreamingResponse) or not isinstance(response, Response):
            await response(scope, receive, send)
            return
        await self._with_validity(scope, response)(scope, receive, send)

    async def _read_body(self, scope: Scope, body: bytes) -> Operation | list[Operation]:
        parsed = operations_from_body(body, max_batch=self._settings.max_batch_operations)
        if isinstance(parsed, list):
            return [await self._filled(scope, operation) for operation in parsed]
        return await self._filled(scope, parsed)

    async def _read_query(self, scope: Scope) -> Operation:
        return await self._filled(scope, operation_from_query_params(Request(scope).query_params))

    @staticmethod
    async def _filled(scope: Scope, operation: Operation) -> Operation:
        """The operation with the text it runs: a persisted one's from its store."""
        persisted: PersistedOperations = scope["app"].state.persisted
        resolved = await persisted.resolve(operation)
        if resolved.query is None or not resolved.query.strip():
            raise RequestError(NO_OPERATION)
        return resolved

    async def admit(self, context: Context, payload: object) -> Operation:
        """A WebSocket's operation, through the guards of an HTTP request: a token of its
        caller's rate, then its text (a persisted one's from its store)."""
        scope = context.request.scope
        if self._rate is not None and (seconds := await self._rate.wait(scope)):
            raise RequestError(throttled_message(seconds), status=429, code="THROTTLED")
        if not isinstance(payload, dict):
            raise RequestError(
                "A subscribe message's `payload` must be an object with a `query` string "
                "(or a persisted document's id)."
            )
        return await self._filled(scope, operation_from(payload, "`payload.{name}`"))

    def _scope(self, scope: Scope) -> str:
        caller = scope.get("state", {}).get("caller")
        return ALL_JOBS.scope if caller is None else self._policy.for_caller(caller).scope

    async def _send_stored(self, scope: Scope, operation: Operation, send: Send) -> bool:
        """Sends the stored answer to an operation answered recently, if any: no Strawberry
        and no GraphQL work, the cheapest answer this gateway gives (a 304 to a GET whose
        client holds it already)."""
        if self._streamed(scope):
            return False
        results: ResultCache = scope["app"].state.results
        key = operation_key(
            self._scope(scope), operation.query, operation.variables, operation.operation_name
        )
        stored = await results.lookup(key)
        if stored is None:
            return False
        self._succeeded(operation.operation_name)
        if scope["method"] != "GET":
            await self._send(send, 200, [NO_STORE_HEADER], stored.body)
            return True
        tag = entity_tag(stored.body)
        headers = [(k.encode(), v.encode()) for k, v in validity(tag, stored.seconds_left).items()]
        if matches(header(scope, b"if-none-match"), tag):
            await self._send(send, 304, headers, b"")
        else:
            await self._send(send, 200, headers, stored.body)
        return True

    @staticmethod
    async def _send(
        send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        if status != 304:
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
                *headers,
            ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _with_validity(self, scope: Scope, response: Response) -> Response:
        """Strawberry's answer with its caching headers; a 304 if a GET's client holds it."""
        seconds_valid = scope.get(SECONDS_VALID, 0.0)
        if scope["method"] != "GET" or response.status_code != 200 or seconds_valid <= 0:
            response.headers["cache-control"] = NO_STORE
            return response
        tag = entity_tag(bytes(response.body))
        if matches(header(scope, b"if-none-match"), tag):
            response = Response(status_code=304)
        response.headers.update(validity(tag, seconds_valid))
        return response

    def _succeeded(self, name: str | None) -> None:
        counter = self._ok.get(name)
        if counter is None:
            counter = GRAPHQL_OPERATIONS.labels(name or "anonymous", "OK")
            if len(self._ok) < MAX_COUNTED_NAMES:
                self._ok[name] = counter
        counter.inc()

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """What :meth:`__call__` read, for Strawberry, in the stream protocol it asks for."""
        read = READ.get()
        if read is None:
            raise RequestError(NO_OPERATION)
        transport = self._get_stream_transport_from_headers(request.headers)
        protocol = transport.protocol if transport else "http"
        if isinstance(read, list):
            if protocol != "http":
                raise RequestError("A batch cannot be streamed: send its operations one by one.")
            return [request_data(operation) for operation in read]
        return request_data(read, protocol)

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
        stored = await results.lookup(key, refreshing_misses=True)
        if stored is not None:
            result = stored.execution_result()
            seconds_valid = stored.seconds_left
            if (usage := current_usage.get()) is not None:
                usage.result_cache_hits += 1
        else:
            try:
                result = await super().execute_single(
                    request, request_adapter, sub_response, context, root_value, request_data
                )
            except HTTPException as error:
                reason = plain_reason(error, request_data)
                raise RequestError(reason, status=error.status_code) from None
            seconds_valid = await results.put(key, result, context.autopilot.freshness)
        request.scope[SECONDS_VALID] = seconds_valid
        outcome = "OK"
        if result.errors:
            result.errors = coded(result.errors)
            outcome = str((result.errors[0].extensions or {}).get("code", "INTERNAL"))
        GRAPHQL_OPERATIONS.labels(request_data.operation_name or "anonymous", outcome).inc()
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        usage: Usage | None = request.scope.get("state", {}).get("cost")
        return response if usage is None else with_cost(response, usage)

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
        connection.scope.setdefault("state", {})["caller"] = caller
        key = caller_key(connection.scope)
        self.connection_limits.acquire(key)
        caller_id.set(caller.subject)
        access = self._policy.for_caller(caller)
        context.autopilot = self._autopilot(connection, access)
        context.live = Live(
            live.feeds,
            renew=lambda: self._autopilot(connection, access),
            expires_at=expiry(caller, self._settings.jwt_leeway_seconds),
            holder=key,
        )
        return UNSET  # type: ignore[no-any-return]  # an ack without a payload: graphql-ws clients refuse `"payload": null`
