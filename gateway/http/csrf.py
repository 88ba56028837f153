"""Refuses GraphQL requests a browser could send from another site without a CORS preflight.

Browsers send form, multipart and text/plain POSTs, and plain GETs, cross-site without asking
first; anything else (JSON bodies, custom headers) triggers a preflight that the CORS
allowlist then decides.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.http.errors import send_error
from gateway.http.headers import has_header, header

PREFLIGHT_HEADERS = (
    "graphql-require-preflight",
    "apollo-require-preflight",
    "x-apollo-operation-name",
)


_PREFLIGHT_NAMES = frozenset(name.encode() for name in PREFLIGHT_HEADERS)


def csrf_refusal(scope: Scope) -> tuple[int, str] | None:
    """Why this request could have come from another site unasked, if it could."""
    method = scope["method"]
    if method == "POST":
        content_type = (header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return 415, "POST bodies must be JSON (Content-Type: application/json)."
        return None
    query_string: bytes = scope.get("query_string", b"")
    if method == "GET" and b"query=" in query_string and not has_header(scope, _PREFLIGHT_NAMES):
        return 400, (
            "A GET query needs a `GraphQL-Require-Preflight: 1` header (CSRF protection); "
            "or send it as a JSON POST."
        )
    return None


class CsrfGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = csrf_refusal(scope)
            if refusal is not None:
                status, message = refusal
                await send_error(send, status, message, "BAD_USER_INPUT")
                return
        await self.app(scope, receive, send)
