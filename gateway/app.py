"""Wires settings, authentication, the SageMaker client and the schema into one ASGI app."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from gateway.auth import Authenticator, Policy, build_authenticator, build_policy
from gateway.cache import Cache, Flights, LocalFlights, MemoryCache
from gateway.graphiql import GraphiQL, GraphiQLPage
from gateway.graphiql.assets import VENDOR_DIR
from gateway.http.access_log import AccessLog
from gateway.http.authentication import Authentication
from gateway.http.body_limit import BodyLimit
from gateway.http.cost import COST_HEADER
from gateway.http.csrf import PREFLIGHT_HEADERS, CsrfGuard
from gateway.http.manifests import load_trusted_documents
from gateway.http.persisted import PersistedOperations
from gateway.http.rate_limit import CallerRate, RateLimit
from gateway.http.request_ids import RequestIds
from gateway.http.view import GraphQLView
from gateway.observability import configure_logging
from gateway.rate_limits import MemoryTokenBuckets, TokenBuckets
from gateway.results import ResultCache
from gateway.sagemaker.client import StaticCredentials, open_sagemaker
from gateway.sagemaker.cursors import CursorCodec
from gateway.sagemaker.live import LiveJobs, Reader, fresh_reader
from gateway.sagemaker.readiness import Readiness
from gateway.sagemaker.reports import open_report_links
from gateway.sagemaker.upstream import CachePolicy, Upstream
from gateway.sagemaker.usage import CallBudget
from gateway.schema import build_schema
from gateway.settings import Settings
from gateway.shared.buckets import RedisTokenBuckets
from gateway.shared.cache import RedisCache, TieredCache
from gateway.shared.connection import RedisConnection
from gateway.shared.flights import RedisFlights
from gateway.shared.live import FleetLiveJobs
from gateway.tracing import (
    gateway_tracer,
    http_spans,
    sagemaker_spans,
    tracer_provider_from_environment,
)

logger = logging.getLogger(__name__)


async def healthz(request: Request) -> Response:
    """The process is up; says nothing about SageMaker (that is /readyz)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready when SageMaker answers; Redis is an optimisation, so its state is only shown."""
    ready, reason = await request.app.state.readiness.check()
    redis: RedisConnection | None = request.app.state.redis
    if redis is not None:
        await redis.probe()
    return JSONResponse(
        {
            "status": "ready" if ready else "unavailable",
            "sagemaker": reason,
            "redis": "off" if redis is None else redis.state(),
        },
        status_code=200 if ready else 503,
    )


async def index(request: Request) -> Response:
    return RedirectResponse("/graphql")


async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def authentication(settings: Settings) -> tuple[Authenticator, Policy]:
    """The authenticator and policy of the configured mode; ValueError on a bad configuration."""
    authenticator = build_authenticator(
        settings.auth_mode,
        jwt_jwks_url=settings.jwt_jwks_url,
        jwt_issuer=settings.jwt_issuer,
        jwt_audience=settings.jwt_audience,
        jwt_algorithms=settings.jwt_algorithms,
        jwt_leeway_seconds=settings.jwt_leeway_seconds,
        jwt_jwks_refresh_seconds=settings.jwt_jwks_refresh_seconds,
        trusted_proxies=settings.trusted_proxies,
    )
    policy = build_policy(settings.auth_mode, settings.authz_claim, settings.authz_policy)
    return authenticator, policy


def redis_connection(settings: Settings) -> RedisConnection | None:
    """The connection to the fleet's Redis, if one is configured."""
    if settings.redis_url is None:
        return None
    return RedisConnection.from_url(
        settings.redis_url.get_secret_value(),
        key_prefix=settings.redis_key_prefix,
        timeout=settings.redis_timeout_seconds,
    )


def shared(memory: MemoryCache, settings: Settings, redis: RedisConnection | None) -> Cache:
    """``memory`` alone, or in front of Redis when the fleet shares one. A cache configured
    to hold no entries stays off across the fleet too."""
    if redis is None or memory.max_entries == 0:
        return memory
    max_entry_bytes = int(settings.redis_max_entry_megabytes * 2**20)
    return TieredCache(memory, RedisCache(redis, memory.name, max_entry_bytes=max_entry_bytes))


def sagemaker_cache(settings: Settings, redis: RedisConnection | None = None) -> Cache:
    memory = MemoryCache(
        "sagemaker",
        max_entries=settings.cache_max_entries,
        max_bytes=int(settings.cache_max_megabytes * 2**20),
    )
    return shared(memory, settings, redis)


def results_store(settings: Settings, redis: RedisConnection | None = None) -> Cache:
    """Where whole results are kept, and the queries clients persist (APQ)."""
    memory = MemoryCache(
        "results",
        max_entries=settings.result_cache_max_entries,
        max_bytes=int(settings.result_cache_max_megabytes * 2**20),
    )
    return shared(memory, settings, redis)


def trusted_documents(settings: Settings) -> Mapping[str, str]:
    """The manifest's documents; ValueError (naming the file) when it cannot be used."""
    if settings.trusted_documents is None:
        return {}
    return load_trusted_documents(Path(settings.trusted_documents))


def flights(settings: Settings, redis: RedisConnection | None) -> Flights:
    """Who fills a missing SageMaker answer: this process alone, or one replica of the fleet,
    with the others waiting at most one SageMaker attempt's timeouts for it."""
    if redis is None:
        return LocalFlights()
    wait = settings.sagemaker_connect_timeout_seconds + settings.sagemaker_read_timeout_seconds
    return RedisFlights(redis, wait_seconds=wait)


def live_jobs(settings: Settings, reader: Reader, redis: RedisConnection | None) -> LiveJobs:
    """The pollers of watched jobs: this process's own, or one per job for the whole fleet."""
    if redis is None:
        return LiveJobs(reader, interval=settings.live_poll_seconds)
    return FleetLiveJobs(reader, redis, interval=settings.live_poll_seconds)


def cache_policy(settings: Settings) -> CachePolicy:
    return CachePolicy(
        terminal_ttl=settings.cache_ttl_seconds, active_ttl=settings.active_cache_ttl_seconds
    )


def token_buckets(redis: RedisConnection | None) -> TokenBuckets:
    """The buckets of the per-caller limits: the fleet's, in Redis, when it shares one (then
    this process's own only while Redis is unavailable), else this process's."""
    if redis is None:
        return MemoryTokenBuckets()
    return RedisTokenBuckets(redis)


def call_budget(settings: Settings, buckets: TokenBuckets) -> CallBudget | None:
    if settings.sagemaker_calls_per_minute == 0:
        return None
    return CallBudget(buckets, settings.sagemaker_calls_per_minute)


def cursor_codec(settings: Settings) -> CursorCodec:
    if settings.cursor_secret is None:
        logger.warning(
            "GATEWAY_CURSOR_SECRET is not set: cursors are signed with a random key, so they "
            "stop working when this process restarts and are refused by other replicas."
        )
        return CursorCodec(secrets.token_bytes(32))
    return CursorCodec(settings.cursor_secret.get_secret_value().encode())


def cors(settings: Settings) -> list[Middleware]:
    """CORS for the configured frontends' origins. With none, browsers may call the gateway
    from its own origin only, which needs no CORS headers: then nothing is added, not even the
    ``Vary: Origin`` Starlette's middleware sets on every answer, and no request pays for it."""
    if not settings.cors_allow_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST"],
            allow_headers=[
                "authorization",
                "content-type",
                "x-request-id",
                COST_HEADER.decode(),
                *PREFLIGHT_HEADERS,
            ],
            expose_headers=["x-request-id", "retry-after"],
            max_age=600,
        )
    ]


def graphql_route(
    view: GraphQLView,
    graphiql: GraphiQL,
    authenticator: Authenticator,
    rate_limit: list[Middleware],
) -> Route:
    """``/graphql``: the IDE's page for browsers, else CSRF checks, authentication, the
    caller's rate limit, the view.

    Every method reaches the view, which refuses all but GET and POST with a coded error (the
    router would answer in plain text)."""
    guards = [
        Middleware(CsrfGuard),
        Middleware(Authentication, authenticator=authenticator),
        *rate_limit,
    ]
    if graphiql.enabled:
        guards.insert(0, Middleware(GraphiQLPage, graphiql=graphiql, view=view))
    return Route("/graphql", view, middleware=guards)


def caller_rate(settings: Settings, buckets: TokenBuckets) -> CallerRate | None:
    """The requests-per-caller limit, shared by HTTP requests and WebSocket operations."""
    if settings.rate_limit_per_minute == 0:
        return None
    return CallerRate(
        buckets, per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst
    )


def rate_limit(rate: CallerRate | None) -> list[Middleware]:
    return [] if rate is None else [Middleware(RateLimit, rate=rate)]


def on_termination(callback: Callable[[], object]) -> Callable[[], None]:
    """Runs ``callback`` in the running loop when SIGTERM or SIGINT arrives, then the server's
    own handler; returns what undoes it. The server waits for open responses before it shuts
    the app down, and a subscription's response never ends by itself: this ends them first.
    Signal handlers belong to the main thread; elsewhere (an embedding test) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handler(sig: int, frame: object) -> None:
        loop.call_soon_threadsafe(callback)
        server_handler = previous[signal.Signals(sig)]
        if callable(server_handler):
            server_handler(sig, frame)  # type: ignore[arg-type]

    for sig in previous:
        signal.signal(sig, handler)

    def undo() -> None:
        for sig, original in previous.items():
            signal.signal(sig, original)

    return undo


def create_app(
    settings: Settings,
    *,
    credentials: StaticCredentials | None = None,
    graphiql_assets: Path = VENDOR_DIR,
    tracer_provider: TracerProvider | None = None,
) -> Starlette:
    """The gateway; ``credentials`` is only for the local SageMaker, AWS uses its chain.

    ``graphiql_assets`` is where GraphiQL's bundles were built; tests point it elsewhere.
    ``tracer_provider`` turns traces on (see :mod:`gateway.tracing`).
    """
    authenticator, policy = authentication(settings)
    trusted = trusted_documents(settings)
    # Created here, connected by the lifespan: the rate limit's middleware holds the buckets
    # from the start, and a connection opens at its first command anyway.
    redis = redis_connection(settings)
    buckets = token_buckets(redis)
    tracer = gateway_tracer(tracer_provider)
    cursors = cursor_codec(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[Mapping[str, Any]]:
        with sagemaker_spans(tracer_provider):
            async with (
                open_sagemaker(settings, credentials) as sagemaker,
                open_report_links(settings, credentials) as reports,
            ):
                if redis is not None:
                    await redis.connect()
                app.state.redis = redis
                app.state.reports = reports
                upstream = Upstream(
                    sagemaker,
                    sagemaker_cache(settings, redis),
                    cache_policy(settings),
                    budget=call_budget(settings, buckets),
                    flights=flights(settings, redis),
                )
                app.state.upstream = upstream
                live = app.state.live = live_jobs(
                    settings, fresh_reader(upstream, settings, cursors), redis
                )
                closing: list[asyncio.Task[None]] = []  # held, so the task is not collected
                restore_signals = on_termination(
                    lambda: closing.append(asyncio.create_task(live.close()))
                )
                store = results_store(settings, redis)
                app.state.results = ResultCache(
                    store,
                    max_ttl=settings.cache_ttl_seconds,
                    refresh_window=cache_policy(settings).refresh_window,
                )
                app.state.persisted = PersistedOperations(
                    store, trusted, trusted_only=settings.trusted_documents_only
                )
                app.state.readiness = Readiness(
                    sagemaker, cache_seconds=settings.readiness_cache_seconds
                )
                try:
                    yield {}
                finally:
                    restore_signals()
                    await live.close()
                    if redis is not None:
                        await redis.close()

    rate = caller_rate(settings, buckets)
    view = GraphQLView(
        build_schema(settings, tracer), settings, cursors, policy, authenticator, rate=rate
    )
    graphiql = GraphiQL(graphiql_assets, enabled=settings.graphiql)
    routes: list[BaseRoute] = [
        # first: the route nearly every request takes
        graphql_route(view, graphiql, authenticator, rate_limit(rate)),
        WebSocketRoute("/graphql", view),  # subscriptions; authenticated by connection_init
        Route("/", index),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        *graphiql.routes(),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            *http_spans(tracer_provider),
            Middleware(RequestIds),
            Middleware(AccessLog, routes=routes),
            Middleware(BodyLimit, max_bytes=settings.max_request_bytes),
            *cors(settings),
        ],
        lifespan=lifespan,
    )


def from_environment() -> Starlette:
    """The app from ``GATEWAY_*`` variables: what each worker runs with several workers."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings, tracer_provider=tracer_provider_from_environment())
