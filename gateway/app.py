"""Wires settings, the SageMaker client and the GraphQL schema into one ASGI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from gateway.sagemaker.autopilot import Autopilot
from gateway.sagemaker.client import StaticCredentials, open_sagemaker
from gateway.schema import Context, build_schema
from gateway.settings import Settings


class GatewayGraphQL(GraphQL[Context, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(build_schema(), graphql_ide="graphiql" if settings.graphiql else None)
        self._settings = settings

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        assert isinstance(request, Request)
        return Context(
            request=request,
            autopilot=Autopilot(request.app.state.sagemaker, self._settings),
        )


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def index(request: Request) -> Response:
    return RedirectResponse("/graphql")


def create_app(settings: Settings, *, credentials: StaticCredentials | None = None) -> Starlette:
    """The gateway; ``credentials`` is only for the local SageMaker, AWS uses its chain."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with open_sagemaker(settings, credentials) as sagemaker:
            app.state.sagemaker = sagemaker
            yield {}

    return Starlette(
        routes=[
            Route("/", index),
            Route("/graphql", GatewayGraphQL(settings), methods=["GET", "POST"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
