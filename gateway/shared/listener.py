"""One pub/sub connection per process, for every channel it listens to.

Redis ties up a connection per subscribing client: a process that watched a hundred jobs
with a subscription each would hold a hundred connections of its pool, which its caches need.
A :class:`Listener` reads one connection in one task and hands each channel's messages to the
inboxes of that channel's subscribers. When the connection is lost, every inbox says so
(:class:`~gateway.shared.connection.RedisUnavailable`) and the next subscription opens a new
connection. Delivery is pub/sub's (channel.py): at most once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from gateway.shared import codec
from gateway.shared.connection import RedisConnection, RedisUnavailable

logger = logging.getLogger(__name__)

READ_SECONDS = 1.0
"""The longest read of the connection, so that redis-py's health checks run while it is idle."""
_LOST = object()


class Inbox:
    """One subscriber's messages, in the order they came."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Any] = asyncio.Queue()

    async def next(self, wait_seconds: float) -> Any | None:
        """The next message, or None when none came within ``wait_seconds``; raises
        RedisUnavailable once the connection was lost."""
        try:
            async with asyncio.timeout(max(0.0, wait_seconds)):
                item = await self._queue.get()
        except TimeoutError:
            return None
        if item is _LOST:
            self._queue.put_nowait(_LOST)
            raise RedisUnavailable("the connection for messages was lost")
        return item

    def _put(self, item: Any) -> None:
        self._queue.put_nowait(item)


class Listener:
    def __init__(self, connection: RedisConnection) -> None:
        self._connection = connection
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._inboxes: dict[str, set[Inbox]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}

    @asynccontextmanager
    async def subscribe(self, name: str) -> AsyncIterator[Inbox]:
        """The messages of the channel ``name`` (as :class:`Channel` names it) while the
        block runs; subscribed when the block starts, so nothing published after is missed."""
        channel = self._connection.channel(name)
        if self._pubsub is None:
            self._pubsub = self._connection.client.pubsub()
        pubsub, inbox = self._pubsub, Inbox()
        inboxes = self._inboxes.setdefault(channel, set())
        inboxes.add(inbox)
        confirmed = self._confirmed.setdefault(channel, asyncio.Event())
        try:
            if len(inboxes) == 1:
                await self._connection.run(
                    "subscribe", lambda: self._subscribe(pubsub, channel, confirmed)
                )
            else:
                await self._connection.run("subscribe", confirmed.wait)
            yield inbox
        finally:
            inboxes.discard(inbox)
            if not inboxes and self._inboxes.get(channel) is inboxes:
                del self._inboxes[channel]
                self._confirmed.pop(channel, None)
                with contextlib.suppress(RedisUnavailable):
                    await self._connection.run("subscribe", lambda: pubsub.unsubscribe(channel))

    async def _subscribe(self, pubsub: PubSub, channel: str, confirmed: asyncio.Event) -> None:
        await pubsub.subscribe(channel)
        if self._reader is None and pubsub is self._pubsub:
            self._reader = asyncio.create_task(self._read(pubsub))
        await confirmed.wait()

    async def _read(self, pubsub: PubSub) -> None:
        try:
            while True:
                message = await pubsub.get_message(timeout=READ_SECONDS)
                if message is None:
                    continue
                channel = message["channel"]
                channel = channel.decode() if isinstance(channel, bytes) else str(channel)
                if message["type"] == "subscribe" and channel in self._confirmed:
                    self._confirmed[channel].set()
                elif message["type"] == "message":
                    try:
                        data = codec.decode(message["data"])
                    except codec.UndecodableValue as error:
                        logger.warning("Skipping a message on %s: %s", channel, error)
                        continue
                    for inbox in self._inboxes.get(channel, ()):
                        inbox._put(data)
        except (RedisError, OSError) as error:
            logger.warning("The connection for messages from Redis was lost: %s", error)
        finally:
            self._lost(pubsub)
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py

    def _lost(self, pubsub: PubSub) -> None:
        """Every subscriber of ``pubsub`` hears that it is gone; the next subscription opens
        another."""
        if self._pubsub is not pubsub:
            return
        self._pubsub, self._reader = None, None
        for inboxes in self._inboxes.values():
            for inbox in inboxes:
                inbox._put(_LOST)
        self._inboxes.clear()
        self._confirmed.clear()

    async def close(self) -> None:
        reader, pubsub = self._reader, self._pubsub
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        elif pubsub is not None:
            self._lost(pubsub)
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py
