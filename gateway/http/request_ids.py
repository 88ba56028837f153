"""Every request gets an ID: the client's ``X-Request-ID`` when sane, else a fresh one.

The ID lives in one place, the :data:`gateway.observability.request_id` context variable, so
log lines, error extensions and the echoed header all read the same value.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.http.headers import header
from gateway.observability import new_request_id, request_id


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = new_request_id(header(scope, b"x-request-id"))
        echoed = (b"x-request-id", rid.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), echoed]
            await send(message)

        token = request_id.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
