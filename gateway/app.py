"""Wires settings, authentication, the SageMaker client and the schema into one ASGI app."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from gateway.auth import Policy
from gateway.graphiql import GraphiQL
from gateway.graphiql.assets import VENDOR_DIR
from gateway.middleware import PREFLIGHT_HEADERS, GraphQLGuard, RequestContext, send_error
from gateway.observability import GRAPHQL_OPERATIONS, configure_logging
from gateway.results import ResultCache
from gateway.sagemaker.autopilot import Autopilot
from gateway.sagemaker.cache import MemoryCache
from gateway.sagemaker.client import StaticCredentials, open_sagemaker
from gateway.sagemaker.cursors import CursorCodec
from gateway.sagemaker.readiness import Readiness
from gateway.sagemaker.upstream import CachePolicy, Upstream
from gateway.schema import Context, build_schema
from gateway.security import access_for, authentication
from gateway.settings import Settings

logger = logging.getLogger(__name__)


class GatewayGraphQL(GraphQL[Context, None]):
    def __init__(self, settings: Settings, cursors: CursorCodec, access_policy: Policy) -> None:
        # Strawberry's IDE page loads GraphiQL from a CDN; gateway.graphiql serves our own.
        super().__init__(build_schema(settings), graphql_ide=None)
        self._settings = settings
        self._cursors = cursors
        self._access_policy = access_policy

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry answers protocol errors (bad JSON, too many operations) in plain text;
        clients get them as GraphQL errors with a code, like every other error."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as error:
            rid = scope.get("state", {}).get("request_id", "-")
            await send_error(send, error.status_code, error.reason, "BAD_USER_INPUT", rid)
            return
        await response(scope, receive, send)

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
        key = results.key(context.autopilot.scope, request_data)
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

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        assert isinstance(request, Request)
        caller = request.scope["state"].get("caller")
        autopilot = Autopilot(
            request.app.state.upstream,
            self._settings,
            self._cursors,
            access=access_for(self._access_policy, caller),
        )
        return Context(
            request=request,
            autopilot=autopilot,
            request_id=request.scope["state"].get("request_id", "-"),
        )


async def healthz(request: Request) -> Response:
    """The process is up; says nothing about SageMaker (that is /readyz)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    ready, reason = await request.app.state.readiness.check()
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "sagemaker": reason},
        status_code=200 if ready else 503,
    )


async def index(request: Request) -> Response:
    return RedirectResponse("/graphql")


async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def response_cache(settings: Settings) -> MemoryCache:
    return MemoryCache(
        max_entries=settings.cache_max_entries,
        max_bytes=int(settings.cache_max_megabytes * 2**20),
    )


def cache_policy(settings: Settings) -> CachePolicy:
    return CachePolicy(
        terminal_ttl=settings.cache_ttl_seconds, active_ttl=settings.active_cache_ttl_seconds
    )


def cursor_codec(settings: Settings) -> CursorCodec:
    if settings.cursor_secret is None:
        logger.warning(
            "GATEWAY_CURSOR_SECRET is not set: cursors are signed with a random key, so they "
            "stop working when this process restarts and are refused by other replicas."
        )
        return CursorCodec(secrets.token_bytes(32))
    return CursorCodec(settings.cursor_secret.get_secret_value().encode())


def create_app(
    settings: Settings,
    *,
    credentials: StaticCredentials | None = None,
    graphiql_assets: Path = VENDOR_DIR,
) -> Starlette:
    """The gateway; ``credentials`` is only for the local SageMaker, AWS uses its chain.

    ``graphiql_assets`` is where GraphiQL's bundles were built; tests point it elsewhere.
    """
    authenticator, access_policy = authentication(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[Mapping[str, Any]]:
        async with open_sagemaker(settings, credentials) as sagemaker:
            cache = response_cache(settings)
            app.state.upstream = Upstream(sagemaker, cache, cache_policy(settings))
            app.state.results = ResultCache(cache, max_ttl=settings.cache_ttl_seconds)
            app.state.readiness = Readiness(
                sagemaker, cache_seconds=settings.readiness_cache_seconds
            )
            yield {}

    graphql = GatewayGraphQL(settings, cursor_codec(settings), access_policy)
    guarded = GraphQLGuard(graphql, authenticator)
    graphiql = GraphiQL(graphiql_assets, enabled=settings.graphiql)
    return Starlette(
        routes=[
            Route("/", index),
            Route("/graphql", graphiql.in_front_of(graphql, guarded), methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            *graphiql.routes(),
        ],
        middleware=[
            Middleware(RequestContext, max_body_bytes=settings.max_request_bytes),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_allow_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "x-request-id", *PREFLIGHT_HEADERS],
                expose_headers=["x-request-id"],
                max_age=600,
            ),
        ],
        lifespan=lifespan,
    )


def from_environment() -> Starlette:
    """The app from ``GATEWAY_*`` variables: what each worker runs with several workers."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
