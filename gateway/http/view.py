"""The GraphQL view: Strawberry's ASGI view with the gateway's context, errors and result cache."""

from __future__ import annotations

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema import BaseSchema
from strawberry.types import ExecutionResult

from gateway.access import ALL_JOBS
from gateway.auth import Policy
from gateway.http.cost import cost_requested, with_cost
from gateway.http.errors import send_error
from gateway.http.rate_limit import caller_key
from gateway.observability import GRAPHQL_OPERATIONS
from gateway.results import ResultCache, operation_key
from gateway.sagemaker.autopilot import Autopilot
from gateway.sagemaker.cursors import CursorCodec
from gateway.sagemaker.upstream import Upstream
from gateway.sagemaker.usage import Usage, current_usage
from gateway.schema import Context
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


class GraphQLView(GraphQL[Context, None]):
    """Reads ``upstream`` and ``results`` from the app's state, which its lifespan sets."""

    def __init__(
        self, schema: BaseSchema, settings: Settings, cursors: CursorCodec, policy: Policy
    ) -> None:
        # Strawberry's IDE page loads GraphiQL from a CDN; gateway.graphiql serves our own.
        super().__init__(schema, graphql_ide=None)
        self._settings = settings
        self._cursors = cursors
        self._policy = policy
        self._ok: dict[str | None, Counter] = {}

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry answers protocol errors (bad JSON, too many operations) in plain text;
        clients get them as GraphQL errors with a code, like every other error."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        costed = cost_requested(scope, always=self._settings.cost_extension)
        if scope["method"] == "POST":
            body, receive = await buffered(receive)
            if not costed and await self._send_cached(scope, body, send):
                return
        usage = Usage(caller_key(scope))
        current_usage.set(usage)
        if costed:
            scope.setdefault("state", {})["cost"] = usage
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
        if result is not None and (usage := current_usage.get()) is not None:
            usage.result_cache_hits += 1
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

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        usage: Usage | None = request.scope.get("state", {}).get("cost")
        return response if usage is None else with_cost(response, usage)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        assert isinstance(request, Request)
        upstream: Upstream = request.app.state.upstream
        caller = request.scope.get("state", {}).get("caller")
        access = None if caller is None else self._policy.for_caller(caller)
        autopilot = Autopilot(
            upstream,
            self._settings,
            self._cursors,
            access=access,
            reports=request.app.state.reports,
        )
        return Context(request=request, autopilot=autopilot)
