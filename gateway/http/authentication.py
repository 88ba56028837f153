"""Names the caller of a GraphQL request before any operation runs, or refuses the request.

The caller is kept in the request's state (``request.state.caller``) for the view, and in
:data:`gateway.observability.caller_id` for log lines.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth import Authenticator, AuthError
from gateway.http.errors import send_error
from gateway.observability import caller_id


class Authentication:
    def __init__(self, app: ASGIApp, *, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        try:
            caller = await self.authenticator.authenticate(
                client[0] if client else None, Headers(scope=scope)
            )
        except AuthError as error:
            await send_error(send, error.status_code, error.message, error.code, error.headers())
            return
        scope.setdefault("state", {})["caller"] = caller
        caller_id.set(caller.subject)
        await self.app(scope, receive, send)
