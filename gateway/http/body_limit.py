"""Request bodies are bounded before anything reads them whole: HTTP 413 with a coded error."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.http.errors import send_error
from gateway.http.headers import header


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received, response_started = 0, False

        async def receive_bounded() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLarge
            return message

        async def send_tracked(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            if int(header(scope, b"content-length") or 0) > self.max_bytes:
                raise BodyTooLarge
            await self.app(scope, receive_bounded, send_tracked)
        except BodyTooLarge:
            if response_started:
                raise
            message = f"The request body is larger than {self.max_bytes} bytes."
            await send_error(send, 413, message, "BAD_USER_INPUT")
