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
    SharedOperation,
    content_security_policy,
    graphiql_page,
    missing_assets_page,
)
from gateway.http.csrf import PREFLIGHT_HEADERS

__all__ = ["GraphiQL", "GraphiQLPage"]

logger = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
# What decides between the page and GraphQL's JSON at the same URL.
PAGE_VARY = "Accept, Sec-Fetch-Mode, Sec-Fetch-Dest"


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

    def page(self, request: Request, shared: SharedOperation | None = None) -> Response:
        if self._assets is None:
            return HTMLResponse(
                missing_assets_page(self._missing),
                status_code=503,
                headers={
                    "Cache-Control": "no-store",
                    "Content-Security-Policy": MISSING_ASSETS_POLICY,
                    "Vary": PAGE_VARY,
                    **SECURITY_HEADERS,
                },
            )
        nonce = secrets.token_urlsafe(18)
        return HTMLResponse(
            graphiql_page(self._assets, nonce, shared),
            headers={
                # The page names the current assets and a fresh nonce: always revalidate it.
                "Cache-Control": "no-cache",
                "Content-Security-Policy": content_security_policy(nonce),
                "Vary": PAGE_VARY,
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


def shared_operation(request: Request) -> SharedOperation | None:
    """The operation of a shared link (``/graphql?query=...``) that a browser opens as a page.

    Only a browser's navigation to a document counts: ``Sec-Fetch-Mode: navigate`` and
    ``Sec-Fetch-Dest: document``, which scripts cannot set (``fetch`` sends ``cors`` and
    ``empty``), ``Accept: text/html``, and none of the headers that ask for a preflight, which
    a navigation cannot send. Everything else with ``query=`` stays a GraphQL request, CSRF
    checks included. The operation only goes into the editor; the server runs nothing.
    """
    headers = request.headers
    query = request.query_params.get("query")
    if (
        query is None
        or headers.get("sec-fetch-mode") != "navigate"
        or headers.get("sec-fetch-dest") != "document"
        or "text/html" not in headers.get("accept", "")
        or any(name in headers for name in PREFLIGHT_HEADERS)
    ):
        return None
    return SharedOperation(query=query, variables=request.query_params.get("variables", ""))


class GraphiQLPage:
    """Middleware of the GraphQL route: a browser asking for the IDE gets its page instead.

    The view's own rule (Strawberry's) decides what counts as asking for the IDE, so GET
    queries and POSTs reach Strawberry exactly as they would without the page, and the page is
    served before CSRF checks and authentication, which a browser opening it cannot pass. A
    browser opening a shared link (``?query=...``, which that rule leaves to Strawberry) gets
    the page too, with the link's operation in the editor: see :func:`shared_operation`.
    """

    def __init__(self, app: ASGIApp, *, graphiql: GraphiQL, view: GraphQL[Any, Any]) -> None:
        self.app = app
        self._graphiql = graphiql
        self._view = view

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":  # the IDE is only ever GET
            request = Request(scope, receive)
            adapter = self._view.request_adapter_class(request)
            if self._view.should_render_graphql_ide(adapter):
                await self._graphiql.page(request)(scope, receive, send)
                return
            shared = shared_operation(request)
            if shared is not None:
                await self._graphiql.page(request, shared)(scope, receive, send)
                return
        await self.app(scope, receive, send)
