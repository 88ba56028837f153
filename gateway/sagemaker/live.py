"""One poller per watched job, however many subscribers: SageMaker emits no candidate events.

:class:`LiveJobs` keeps, per job that someone watches, one task that reads the job (its
description and whole candidate set, through the same cache and single-flight as queries,
refreshing the cached answer) every ``interval`` seconds and hands each subscriber's
:class:`Feed` the new read with the :func:`~gateway.sagemaker.changes.changes` since the last.
The task stops when the job reaches a terminal status or its last subscriber leaves.

A poller runs in a context of its own, not its first subscriber's: its log lines carry the
request ID ``live-<job>``, no request's span or caller, and its reads spend the SageMaker
budget of the caller who started it (a spent budget slows it down like throttling does).

Throttling and an unreachable SageMaker slow the poller down (the interval doubles, up to
``max_backoff``); subscribers only see the next read later. Any other error (the job was
deleted) ends every subscription to that job with that error.

Subscriptions reach pollers only through :class:`JobFeeds`: with Redis, one elected poller
per job serves the whole fleet behind the same two methods (:mod:`gateway.shared.live`).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from prometheus_client import Gauge

from gateway.errors import GatewayError, Throttled, UpstreamUnavailable
from gateway.observability import request_id
from gateway.sagemaker.autopilot import Autopilot
from gateway.sagemaker.candidates import CandidateQuery
from gateway.sagemaker.changes import Change, changes, is_finished
from gateway.sagemaker.cursors import CursorCodec
from gateway.sagemaker.leaderboards import JobCandidates
from gateway.sagemaker.upstream import Upstream
from gateway.sagemaker.usage import Usage, current_usage
from gateway.settings import Settings

logger = logging.getLogger(__name__)

LIVE_POLLERS = Gauge("gateway_live_pollers", "Jobs polled for subscribers right now.")
LIVE_SUBSCRIBERS = Gauge("gateway_live_subscribers", "Subscribers to jobs' changes right now.")

MAX_PENDING_UPDATES = 50
"""Updates a subscriber may leave unread before it is dropped (a client that stopped reading):
each holds a whole read of the job, so a slow reader pins at most this many."""

Reader = Callable[[str], Awaitable[JobCandidates]]
"""Reads a job's description and whole candidate set, fresh."""


@dataclass(frozen=True, slots=True)
class Update:
    """One poll that changed something: the new read and the events since the previous one."""

    snapshot: JobCandidates
    changes: tuple[Change, ...]


class FellBehind(UpstreamUnavailable):
    """A subscriber that left too many updates unread."""


class ShuttingDown(UpstreamUnavailable):
    """The process is stopping: subscribers should resume elsewhere."""


RESTARTING = "The gateway is restarting; subscribe again."


@dataclass(slots=True)
class Feed:
    """One subscriber's view of a watched job: ``baseline`` (the latest read when it
    joined), then every update after it, in order, until the job finishes."""

    baseline: JobCandidates
    _queue: asyncio.Queue[Update | GatewayError] = field(default_factory=asyncio.Queue)

    async def next(self) -> Update:
        """The next update; raises the error that ended the job's poller, if one did."""
        item = await self._queue.get()
        if isinstance(item, GatewayError):
            raise item
        return item

    def _put(self, item: Update | GatewayError) -> None:
        if self._queue.qsize() >= MAX_PENDING_UPDATES:
            self._queue = asyncio.Queue()
            item = FellBehind("This subscription fell too far behind; subscribe again.")
        self._queue.put_nowait(item)


class JobFeeds(Protocol):
    """What subscriptions need from the pollers."""

    def watch(self, job_name: str) -> AbstractAsyncContextManager[Feed]:
        """A feed of the job's updates while the block runs; polling starts with the first
        watcher and stops after the last."""
        ...

    async def close(self) -> None:
        """Ends every subscription and stops every poller (the process is stopping)."""
        ...


@dataclass(slots=True)
class Poller:
    """The state of one watched job in this process: its task, feeds and latest read."""

    task: asyncio.Task[None] | None = None
    watchers: int = 0  # feeds, and watchers still waiting for the first read
    feeds: list[Feed] = field(default_factory=list)
    snapshot: JobCandidates | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    error: GatewayError | None = None


class LiveJobs:
    """The in-process :class:`JobFeeds`: one asyncio task per watched job."""

    def __init__(
        self,
        reader: Reader,
        *,
        interval: float,
        max_backoff: float | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._reader = reader
        self._interval = interval
        self._max_backoff = max(interval, 60.0) if max_backoff is None else max_backoff
        self._sleep = sleep
        self._now = now
        self._pollers: dict[str, Poller] = {}
        self._closed = False

    @property
    def polled(self) -> list[str]:
        """The jobs being polled now."""
        return list(self._pollers)

    @asynccontextmanager
    async def watch(self, job_name: str) -> AsyncIterator[Feed]:
        if self._closed:
            raise ShuttingDown(RESTARTING)
        poller = self._pollers.get(job_name)
        if poller is None:
            poller = self._pollers[job_name] = Poller()
            poller.task = asyncio.create_task(
                self._poll(job_name, poller), context=poller_context(job_name)
            )
            LIVE_POLLERS.inc()
        poller.watchers += 1
        feed: Feed | None = None
        try:
            await poller.ready.wait()
            if poller.error is not None:
                raise poller.error
            if poller.snapshot is None:  # stopped before its first read: shutting down
                raise ShuttingDown(RESTARTING)
            # no await between reading the snapshot and joining: no update is missed or doubled
            feed = Feed(poller.snapshot)
            poller.feeds.append(feed)
            LIVE_SUBSCRIBERS.inc()
            yield feed
        finally:
            poller.watchers -= 1
            if feed is not None:
                poller.feeds.remove(feed)
                LIVE_SUBSCRIBERS.dec()
            if not poller.watchers and self._pollers.get(job_name) is poller:
                await self._stop(job_name, poller)

    async def close(self) -> None:
        """Ends every subscription with :class:`ShuttingDown` and stops every poller."""
        self._closed = True
        for job_name, poller in list(self._pollers.items()):
            for feed in poller.feeds:
                feed._put(ShuttingDown(RESTARTING))
            await self._stop(job_name, poller)

    async def _stop(self, job_name: str, poller: Poller) -> None:
        if self._pollers.get(job_name) is poller:
            del self._pollers[job_name]
            LIVE_POLLERS.dec()
        task = poller.task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _poll(self, job_name: str, poller: Poller) -> None:
        try:
            await self._follow(job_name, poller)
        except GatewayError as error:
            poller.error = error
            for feed in poller.feeds:
                feed._put(error)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Polling job %s failed", job_name)
            poller.error = UpstreamUnavailable(f"Watching AutoML job '{job_name}' failed.")
            for feed in poller.feeds:
                feed._put(poller.error)
        finally:
            poller.ready.set()
            if self._pollers.get(job_name) is poller:
                del self._pollers[job_name]
                LIVE_POLLERS.dec()

    async def _follow(self, job_name: str, poller: Poller) -> None:
        """Reads the job every interval until it finishes and hands each read to the feeds."""
        delay = 0.0
        while True:
            if delay:
                await self._sleep(delay)
            snapshot, delay = await self._attempt(job_name, delay)
            if snapshot is not None:
                self._publish(poller, snapshot)
                if is_finished(snapshot):
                    return

    async def _attempt(self, job_name: str, delay: float) -> tuple[JobCandidates | None, float]:
        """One read of the job and the delay before the next: the interval, or (None and)
        twice ``delay``, the last one, when SageMaker throttled or did not answer."""
        try:
            return await self._reader(job_name), self._interval
        except (Throttled, UpstreamUnavailable) as error:
            delay = min(max(delay, self._interval) * 2, self._max_backoff)
            logger.warning("Polling job %s: %s; next read in %g s", job_name, error, delay)
            return None, delay

    def _publish(self, poller: Poller, snapshot: JobCandidates) -> None:
        """Hands ``snapshot`` to the feeds with the changes since the previous one."""
        previous = poller.snapshot
        found = () if previous is None else tuple(changes(previous, snapshot, self._now()))
        self._advance(poller, snapshot, found)

    def _advance(self, poller: Poller, snapshot: JobCandidates, found: tuple[Change, ...]) -> None:
        """Makes ``snapshot`` the job's latest read; the first one is the feeds' baseline,
        later ones reach every feed with ``found``, when something changed."""
        previous, poller.snapshot = poller.snapshot, snapshot
        if previous is None:
            poller.ready.set()
        elif found:
            update = Update(snapshot, found)
            for feed in poller.feeds:
                feed._put(update)


def poller_context(job_name: str) -> contextvars.Context:
    """A poller's own context, made in its first watcher's: none of the request's variables
    (its ID, caller, span, usage) outlive it in the poller, but the poller's reads are
    spent from that caller's SageMaker budget."""
    starter = current_usage.get()
    context = contextvars.Context()
    context.run(request_id.set, f"live-{job_name}")
    if starter is not None:
        context.run(current_usage.set, Usage(starter.caller))
    return context


def fresh_reader(upstream: Upstream, settings: Settings, cursors: CursorCodec) -> Reader:
    """Reads a job the way a query's leaderboard does (one describe, then its candidate
    pages), refreshing the cached answers: at most one interval old, and free for a query
    asking in the same moment."""

    async def read(job_name: str) -> JobCandidates:
        autopilot = Autopilot(upstream, settings, cursors, fresh=True)
        return await autopilot.job_candidates(CandidateQuery(job_name=job_name))

    return read
