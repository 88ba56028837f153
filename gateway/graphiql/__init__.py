"""GraphiQL served from the gateway's own files: no CDN, and a strict Content-Security-Policy.

Strawberry's built-in IDE page loads React and GraphiQL from unpkg, which shows a blank page
offline, behind a corporate proxy or under a strict CSP. This package serves a page of its own
on ``GET /graphql`` (when a browser asks for HTML) and the bundles under ``/graphiql/``.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL

from gateway.graphiql.assets import VENDOR_DIR, Assets, MissingAssets, load_assets
from gateway.graphiql.page import (
    ASSETS_PREFIX,
    MISSING_ASSETS_POLICY,
    content_security_policy,
    graphiql_page,
    missing_assets_page,
)

__all__ = ["GraphiQL"]

logger = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class GraphiQL:
    """The IDE's page and assets; a missing build is reported, never replaced by a CDN.

    Disabled (``GATEWAY_GRAPHIQL=false``), it adds nothing: no route, no page.
    """

    def __init__(self, vendor_dir: Path = VENDOR_DIR, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._assets: Assets | None = None
        self._missing: list[str] = []
        if not enabled:
            return
        try:
            self._assets = load_assets(vendor_dir)
        except MissingAssets as error:
            self._missing = error.missing
            logger.warning("%s; GraphiQL shows instructions instead. Run `make assets`.", error)

    def routes(self) -> list[BaseRoute]:
        if not self.enabled:
            return []
        return [Route(f"/{ASSETS_PREFIX}/{{digest}}/{{name}}", self.asset, methods=["GET"])]

    def in_front_of(self, graphql: GraphQL[Any, Any], app: ASGIApp | None = None) -> ASGIApp:
        """``app`` (by default ``graphql``), except that browsers asking for the IDE, by
        ``graphql``'s rule, get this page."""
        then = app or graphql
        return _PageInFrontOf(self, graphql, then) if self.enabled else then

    def page(self, request: Request) -> Response:
        if self._assets is None:
            return HTMLResponse(
                missing_assets_page(self._missing),
                status_code=503,
                headers={
                    "Cache-Control": "no-store",
                    "Content-Security-Policy": MISSING_ASSETS_POLICY,
                    **SECURITY_HEADERS,
                },
            )
        nonce = secrets.token_urlsafe(18)
        return HTMLResponse(
            graphiql_page(self._assets, nonce),
            headers={
                # The page names the current assets and a fresh nonce: always revalidate it.
                "Cache-Control": "no-cache",
                "Content-Security-Policy": content_security_policy(nonce),
                **SECURITY_HEADERS,
            },
        )

    async def asset(self, request: Request) -> Response:
        digest, name = request.path_params["digest"], request.path_params["name"]
        asset = self._assets.find(digest, name) if self._assets else None
        if asset is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding", **SECURITY_HEADERS}
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)


class _PageInFrontOf:
    """An ASGI app (a class, so that Starlette's Route passes it the raw ASGI call).

    Strawberry's own rule decides what counts as asking for the IDE, so GET queries and POSTs
    reach Strawberry exactly as they did when it rendered its page itself.
    """

    def __init__(self, graphiql: GraphiQL, graphql: GraphQL[Any, Any], then: ASGIApp) -> None:
        self._graphiql = graphiql
        self._graphql = graphql
        self._then = then

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            adapter = self._graphql.request_adapter_class(request)
            if self._graphql.should_render_graphql_ide(adapter):
                await self._graphiql.page(request)(scope, receive, send)
                return
        await self._then(scope, receive, send)
