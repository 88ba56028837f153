"""Subscription clients as frontends use them: graphql-transport-ws (what the `graphql-ws`
library speaks) over a real WebSocket, and `graphql-sse`'s distinct-connections mode over
streamed HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"


class TransportWS:
    """One graphql-transport-ws connection; ``subscribe`` runs operations on it."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self._ids = 0

    async def receive(self) -> dict[str, Any]:
        frame = await self.socket.recv()
        assert isinstance(frame, str), "graphql-transport-ws messages are text frames"
        message: dict[str, Any] = json.loads(frame)
        return message

    async def start(self, query: str, **variables: Any) -> str:
        self._ids += 1
        operation = str(self._ids)
        payload = {"query": query, "variables": variables}
        await self.socket.send(
            json.dumps({"id": operation, "type": "subscribe", "payload": payload})
        )
        return operation

    async def collect(self, query: str, **variables: Any) -> list[dict[str, Any]]:
        """Every message of one subscription until its ``complete`` or ``error``: the payloads
        of ``next``, then an ``{"error": ...}`` item for an ``error`` message."""
        operation = await self.start(query, **variables)
        return await self.messages(operation)

    async def messages(self, operation: str) -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []
        while True:
            message = await self.receive()
            assert message.get("id") == operation, message
            if message["type"] == "next":
                received.append(message["payload"])
            elif message["type"] == "error":
                received.append({"error": message["payload"]})
                return received
            else:
                assert message["type"] == "complete", message
                return received


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + "/graphql"


@asynccontextmanager
async def transport_ws(
    base_url: str,
    *,
    payload: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    acknowledged: bool = True,
) -> AsyncIterator[TransportWS]:
    """A connection that has sent ``connection_init`` (with ``payload``) and, unless
    ``acknowledged`` is False, received its ``connection_ack``."""
    async with connect(
        ws_url(base_url),
        subprotocols=[PROTOCOL],
        additional_headers=headers or {},  # type: ignore[list-item]
    ) as socket:
        client = TransportWS(socket)
        await socket.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
        if acknowledged:
            ack = await client.receive()
            assert ack["type"] == "connection_ack", ack
        yield client


async def sse_events(
    base_url: str, query: str, *, headers: dict[str, str] | None = None, **variables: Any
) -> tuple[int, list[tuple[str, Any]]]:
    """The status and every ``(event, data)`` of one graphql-sse stream, to its end."""
    events: list[tuple[str, Any]] = []
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
        client.stream(
            "POST",
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"accept": "text/event-stream", **(headers or {})},
        ) as response,
    ):
        if response.status_code != 200:
            await response.aread()
            return response.status_code, [("body", response.json())]
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data = line.removeprefix("data:").strip()
                events.append((event, json.loads(data) if data else None))
    return response.status_code, events
