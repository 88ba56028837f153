"""Messages to every replica: publish/subscribe of JSON on a named Redis channel.

Delivery is Redis pub/sub's: at most once, to the replicas subscribed at that moment, with
nothing kept for those that were not. That suits events whose state can be read again (a job's
new status, say); what must not be lost belongs in a cache entry or a lease instead. Messages
are JSON (codec.py), never pickle.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio.client import PubSub

from gateway.shared import codec
from gateway.shared.connection import RedisConnection


class Channel:
    def __init__(self, connection: RedisConnection, name: str) -> None:
        self._connection = connection
        self.name = connection.channel(name)

    async def publish(self, message: Any) -> int:
        """Sends ``message``; the number of replicas' subscriptions that received it."""
        data = codec.encode(message)
        receivers = await self._connection.run(
            "publish", lambda: self._connection.client.publish(self.name, data)
        )
        return int(receivers)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        """Subscribed for as long as the block runs (on a connection of its own)."""
        pubsub = self._connection.client.pubsub()
        try:
            await self._connection.run("subscribe", lambda: pubsub.subscribe(self.name))
            yield Subscription(pubsub)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py


class Subscription:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def next(self, wait_seconds: float) -> Any | None:
        """The next message, or None when none came within ``wait_seconds``. Raises
        redis-py's ConnectionError when the connection is lost: subscribe again then."""
        deadline = time.monotonic() + wait_seconds
        while (left := deadline - time.monotonic()) > 0:
            # None also for the confirmations of subscribing, which are skipped.
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None and message.get("type") == "message":
                return codec.decode(message["data"])
        return None

    async def __aiter__(self) -> AsyncIterator[Any]:
        while True:
            message = await self.next(wait_seconds=1.0)
            if message is not None:
                yield message
