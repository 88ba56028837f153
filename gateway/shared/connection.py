"""The process's connection to Redis (or Valkey, or ElastiCache): an optimisation only.

Every command runs within ``timeout`` seconds behind a circuit breaker. When Redis is down,
paused, restarting, refusing the gateway's credentials or out of memory, a command raises
:class:`RedisUnavailable` instead, which the callers turn into "not shared" (a cache miss, a
flight of its own): requests still answer from the in-process cache and SageMaker, and once
the breaker is open they no longer even pay the timeout. The state is logged on each change,
exported as ``gateway_redis_*`` metrics and shown by /readyz.

Keys carry the configured prefix and :data:`FORMAT_VERSION`, so replicas of two versions
during a rolling upgrade never read each other's values.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from prometheus_client import Counter, Gauge
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, RedisError, ResponseError
from redis.exceptions import ConnectionError as LostConnection

from gateway.breaker import CircuitBreaker

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MAX_CONNECTIONS = 128  # per process; Redis accepts 10,000 clients by default
CONNECTIONS_AT_START = 8
LATE_READ_TURNS = 3
# redis-py's own socket timeouts, a safety net only: commands are bounded by run()'s timeout.
SOCKET_TIMEOUT_SECONDS = 5.0
T = TypeVar("T")

REDIS_COMMANDS = Counter(
    "gateway_redis_commands",
    "Redis commands by purpose and outcome (ok, error, timeout, or skipped while the circuit "
    "breaker is open).",
    ["purpose", "outcome"],
)
REDIS_AVAILABLE = Gauge(
    "gateway_redis_available", "1 while the gateway uses Redis, 0 while its breaker is open."
)


class RedisUnavailable(Exception):
    """Redis did not answer in time, failed, or is left alone by the breaker for now."""


class RedisConnection:
    def __init__(
        self,
        client: Redis,
        *,
        key_prefix: str,
        timeout: float,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.client = client
        self.timeout = timeout
        self._prefix = f"{key_prefix}:v{FORMAT_VERSION}:"
        self._breaker = breaker or CircuitBreaker()
        self._last_error = ""
        self._background: set[asyncio.Future[None]] = set()
        REDIS_AVAILABLE.set(1)

    @classmethod
    def from_url(cls, url: str, *, key_prefix: str, timeout: float) -> RedisConnection:
        """A client for ``redis://`` or ``rediss://`` (TLS) URLs, with an ACL user and password
        in the URL. It connects at its first command, so a Redis that is down does not stop
        the gateway from starting. redis-py retries only a lost connection: the breaker decides.

        A request reads many SageMaker answers at once, so commands beyond the pool's
        connections wait for one (within the command's timeout) rather than fail."""
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=None,
            socket_timeout=max(timeout, SOCKET_TIMEOUT_SECONDS),
            socket_connect_timeout=max(timeout, SOCKET_TIMEOUT_SECONDS),
            # Once, at once, on a lost connection: one that Redis closed while it restarted.
            retry=Retry(NoBackoff(), 1, supported_errors=(LostConnection,)),
            health_check_interval=30,
        )
        return cls(Redis(connection_pool=pool), key_prefix=key_prefix, timeout=timeout)

    def key(self, kind: str, name: str) -> str:
        """The Redis key of ``name`` among ``kind``: prefixed, versioned, of bounded length."""
        digest = hashlib.sha256(name.encode()).hexdigest()[:40]
        return f"{self._prefix}{kind}:{digest}"

    def channel(self, name: str) -> str:
        return f"{self._prefix}channel:{name}"

    async def run(self, purpose: str, command: Callable[[], Awaitable[T]]) -> T:
        """The result of ``command()``, or RedisUnavailable within ``timeout`` seconds."""
        if not self._breaker.allow():
            REDIS_COMMANDS.labels(purpose, "skipped").inc()
            raise RedisUnavailable(self._last_error)
        try:
            result = await self._within_timeout(command)
        except TimeoutError as error:
            reason = f"no answer within {self.timeout:g} s"
            self._failed(purpose, "timeout", reason, True)
            raise RedisUnavailable(self._last_error) from error
        except (RedisError, OSError) as error:
            lost = isinstance(error, LostConnection | OSError)
            detail = f"{type(error).__name__}: {error}"
            self._failed(purpose, "error", public_reason(error), lost, detail=detail)
            raise RedisUnavailable(self._last_error) from error
        except BaseException:  # cancelled, or a bug: no verdict on Redis, but no stuck probe
            self._breaker.abandoned()
            raise
        REDIS_COMMANDS.labels(purpose, "ok").inc()
        if self._breaker.succeeded():
            REDIS_AVAILABLE.set(1)
            logger.warning("Redis answers again: sharing with the other replicas resumes")
            # Connections opened before the outage may still look open: never reuse them.
            self._drop_idle_connections()
        return result

    async def _within_timeout(self, command: Callable[[], Awaitable[T]]) -> T:
        """``command()``, or TimeoutError when Redis has not answered within ``timeout``.

        A process busy with other requests (or starved of CPU) runs its timers late, with
        Redis's answer perhaps already waiting unread: that is not Redis being slow. So when
        the timer came late by half the timeout or more, Redis gets its timeout once more, and
        before giving up the loop gets a few turns to read what has arrived."""
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(command())
        try:
            started = loop.time()
            await asyncio.wait({task}, timeout=self.timeout)
            late = loop.time() - started - self.timeout
            if not task.done() and late >= self.timeout / 2:
                await asyncio.wait({task}, timeout=self.timeout)
            for _ in range(LATE_READ_TURNS):
                if task.done():
                    break
                await asyncio.sleep(0)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if not task.done():
            # redis-py closes the connection of a cancelled command, in the background.
            task.add_done_callback(_retrieved)
            task.cancel()
            raise TimeoutError
        return task.result()

    async def connect(self) -> None:
        """At start-up: opens a few connections, so that the first burst of requests finds
        them open, and says in the log at once when Redis is unavailable. Never fails."""

        async def ping() -> None:
            with contextlib.suppress(RedisUnavailable):
                await self.run("ping", self.client.ping)

        await asyncio.gather(*(ping() for _ in range(CONNECTIONS_AT_START)))

    async def probe(self) -> None:
        """Tries Redis when the breaker allows it. Requests answered from memory never ask
        Redis, so /readyz probes too: sharing resumes even on a fleet of warm replicas."""
        if self._breaker.state != "closed":
            with contextlib.suppress(RedisUnavailable):
                await self.run("ping", self.client.ping)

    def state(self) -> str:
        """What /readyz says of Redis."""
        if self._breaker.state == "closed":
            return "ok"
        return f"unavailable ({self._last_error}); serving from this process's cache"

    async def close(self) -> None:
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        try:
            # The pool was given to the client, which then leaves it open on its own close.
            await self.client.aclose(close_connection_pool=True)
        except (RedisError, OSError) as error:
            logger.debug("closing the Redis client: %s", error)

    def _failed(
        self,
        purpose: str,
        outcome: str,
        reason: str,
        connections_lost: bool,
        *,
        detail: str | None = None,
    ) -> None:
        """Counts a failure; ``reason`` is what /readyz says, ``detail`` what the log says."""
        REDIS_COMMANDS.labels(purpose, outcome).inc()
        self._last_error = reason
        if self._breaker.failed():
            REDIS_AVAILABLE.set(0)
            logger.warning(
                "Redis is unavailable (%s): serving from this process's cache and SageMaker "
                "until it answers again",
                detail or reason,
            )
        if connections_lost:
            # The idle connections are to a Redis that died or hangs: the probes that follow
            # must open new ones, not fail one by one on each stale connection.
            self._drop_idle_connections()

    def _drop_idle_connections(self) -> None:
        """Closes the idle connections, in the background: closing a connection to a paused
        Redis can wait, and no request may wait for it."""

        async def drop() -> None:
            with contextlib.suppress(RedisError, OSError):
                await self.client.connection_pool.disconnect(inuse_connections=False)

        task = asyncio.ensure_future(drop())
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def public_reason(error: BaseException) -> str:
    """Why Redis failed, as /readyz may say it to anyone: redis-py's own messages name hosts,
    ports and TLS details, which stay in the log."""
    if isinstance(error, AuthenticationError) or (
        isinstance(error, ResponseError) and "WRONGPASS" in str(error).upper()
    ):
        return "authentication refused: check the user and password of GATEWAY_REDIS_URL"
    if isinstance(error, LostConnection | OSError):
        return "cannot connect"
    if isinstance(error, ResponseError) and str(error).upper().startswith("OOM"):
        return "out of memory (maxmemory)"
    if isinstance(error, ResponseError) and str(error).upper().startswith("NOPERM"):
        return "the ACL user lacks a permission the gateway needs"
    return f"an error ({type(error).__name__})"


def _retrieved(task: asyncio.Future[Any]) -> None:
    """Marks the outcome of an abandoned command as seen, so asyncio does not report it."""
    if not task.cancelled():
        task.exception()
