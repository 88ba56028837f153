"""One poller per watched job for the fleet: replicas on a real redis-server, in one loop.

Each replica is a :class:`FleetLiveJobs` with its own connection. The job is a timeline in
wall-clock time (a candidate more every step, each completed the step after it appears, then
the job completes), read through a counter per replica, so a test sees who read SageMaker.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from typing import Any

import pytest

from gateway.errors import Throttled
from gateway.sagemaker.changes import is_finished
from gateway.sagemaker.leaderboards import JobCandidates
from gateway.shared.channel import Channel
from gateway.shared.connection import RedisConnection
from gateway.shared.live import FleetLiveJobs
from tests.fleet.redis_server import RedisServer
from tests.sagemaker.live_data import JOB, candidate, read

INTERVAL = 0.05
Event = tuple[str, str | None, str | None, datetime]


class Timeline:
    """The job as SageMaker shows it ``step`` seconds at a time, ``size`` candidates long."""

    def __init__(self, size: int, step: float) -> None:
        self.size, self.step = size, step
        self.started = time.monotonic()

    def now(self) -> JobCandidates:
        k = int((time.monotonic() - self.started) / self.step)
        shown = range(1, min(k, self.size) + 1)
        candidates = [
            candidate(i, "Completed", value=i / 100) if i < k else candidate(i) for i in shown
        ]
        done = [c for c in candidates if c["CandidateStatus"] == "Completed"]
        if k > self.size + 1:
            return read(
                *candidates,
                status="Completed",
                secondary="Completed",
                best=f"{JOB}-{len(done):03d}",
            )
        best = done[-1]["CandidateName"] if done else None
        return read(*candidates, best=best)

    def finished(self) -> bool:
        return time.monotonic() - self.started > (self.size + 2) * self.step


class Replica:
    """One replica's pollers, reading the timeline; ``frozen`` holds its reads back."""

    def __init__(self, timeline: Timeline, connection: RedisConnection) -> None:
        self.timeline = timeline
        self.reads = 0
        self.reads_at: list[float] = []
        self.thawed = asyncio.Event()
        self.thawed.set()
        self.throttling = False
        self.throttled = 0
        self.jobs = FleetLiveJobs(self.read, connection, interval=INTERVAL)

    async def read(self, job_name: str) -> JobCandidates:
        assert job_name == JOB
        await self.thawed.wait()
        if self.throttling:
            self.throttled += 1
            raise Throttled("Rate exceeded")
        self.reads += 1
        self.reads_at.append(time.monotonic())
        return self.timeline.now()

    async def history(self) -> list[Event]:
        """Every change one subscriber of this replica gets, until the job finishes."""
        async with self.jobs.watch(JOB) as feed:
            events: list[Event] = []
            snapshot = feed.baseline
            while not is_finished(snapshot):
                update = await feed.next()
                events += [
                    (
                        c.kind.value,
                        (c.candidate or {}).get("CandidateName"),
                        (c.candidate or {}).get("CandidateStatus"),
                        c.at,
                    )
                    for c in update.changes
                ]
                snapshot = update.snapshot
            return events


@asynccontextmanager
async def replicas(url: str, timeline: Timeline, count: int) -> AsyncIterator[list[Replica]]:
    async with AsyncExitStack() as stack:
        found = []
        for _ in range(count):
            connection = RedisConnection.from_url(url, key_prefix="test", timeout=1.0)
            stack.push_async_callback(connection.close)
            replica = Replica(timeline, connection)
            stack.push_async_callback(replica.jobs.close)
            found.append(replica)
        yield found


def check_complete(events: list[Event], size: int) -> None:
    """Every candidate ADDED once, then each of its later statuses once (a poll may see a
    candidate first as Completed), in order, ending Completed; the job's end last."""
    added = [name for kind, name, _, _ in events if kind == "ADDED"]
    assert Counter(added) == Counter(f"{JOB}-{i:03d}" for i in range(1, size + 1)), events
    statuses: dict[str | None, list[str | None]] = {}
    for kind, name, status, _ in events:
        if kind in ("ADDED", "STATUS_CHANGED"):
            assert (kind == "ADDED") == (name not in statuses), events
            statuses.setdefault(name, []).append(status)
    for seen in statuses.values():
        assert seen in (["InProgress", "Completed"], ["Completed"]), events
    assert events[-1][0] == "JOB_STATUS_CHANGED"
    assert [e for e in events if e[0] == "JOB_STATUS_CHANGED"] == [events[-1]]
    assert [e[3] for e in events] == sorted(e[3] for e in events)


def without_times(events: list[Event]) -> list[tuple[Any, ...]]:
    return [event[:3] for event in events]


async def until(condition: Callable[[], bool]) -> None:
    """Waits (up to 5 s) for what the pollers do in the background."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def test_three_replicas_read_the_job_once_per_round_and_get_the_same_history(
    redis_server: RedisServer,
) -> None:
    timeline = Timeline(size=5, step=0.12)
    async with replicas(redis_server.url, timeline, 3) as fleet:
        started = time.monotonic()
        histories = await asyncio.gather(*(r.history() for r in fleet for _ in range(2)))
        elapsed = time.monotonic() - started
    readers = [r for r in fleet if r.reads]
    assert len(readers) == 1, [r.reads for r in fleet]
    assert readers[0].reads <= elapsed / INTERVAL + 2
    check_complete(histories[0], 5)
    assert all(h == histories[0] for h in histories)  # the leader's events, times and all


@pytest.mark.slow
async def test_a_frozen_leader_is_replaced_and_its_late_read_publishes_nothing(
    redis_server: RedisServer, connection: RedisConnection
) -> None:
    timeline = Timeline(size=8, step=0.12)
    published: list[str] = []

    async def listen() -> None:
        async with Channel(connection, f"live:{JOB}").subscribe() as messages:
            async for message in messages:
                published.append(message["version"].split(":")[0])

    async with replicas(redis_server.url, timeline, 2) as (first, second):
        listener = asyncio.ensure_future(listen())
        await asyncio.sleep(0.05)
        history_first = asyncio.ensure_future(first.history())
        await until(lambda: first.jobs.leading == [JOB])
        history_second = asyncio.ensure_future(second.history())
        await asyncio.sleep(0.3)
        first.thawed.clear()  # its next read hangs: the lease runs out
        await until(lambda: second.jobs.leading == [JOB])
        await asyncio.sleep(0.2)
        first.thawed.set()  # its read returns, then its lease is gone
        await until(lambda: first.jobs.leading == [])
        histories = await asyncio.gather(history_first, history_second)
        listener.cancel()
    # the first replica's feeds saw its late read at once, then the second's later ones
    for history in histories:
        check_complete(history, 8)
    assert second.reads and len(set(published)) == 2
    leader, successor = published[0], published[-1]
    assert published == [leader] * published.count(leader) + [successor] * published.count(
        successor
    )


async def test_a_throttled_leader_backs_off_keeps_its_lease_and_loses_nothing(
    redis_server: RedisServer,
) -> None:
    timeline = Timeline(size=6, step=0.12)
    async with replicas(redis_server.url, timeline, 2) as (first, second):
        history_first = asyncio.ensure_future(first.history())
        await until(lambda: first.jobs.leading == [JOB])
        history_second = asyncio.ensure_future(second.history())
        await asyncio.sleep(0.1)
        first.throttling = True
        await asyncio.sleep(0.6)  # reads at 0.1, 0.2 and 0.4 s: twice the delay each time
        first.throttling = False
        histories = await asyncio.gather(history_first, history_second)
    assert 2 <= first.throttled <= 4, first.throttled
    assert second.reads == 0  # the leader kept its lease through the backoff
    check_complete(histories[0], 6)
    assert histories[1] == histories[0]


@pytest.mark.slow
async def test_without_redis_every_replica_polls_by_itself_and_rejoins_when_it_is_back(
    own_redis: RedisServer,
) -> None:
    timeline = Timeline(size=12, step=0.15)
    async with replicas(own_redis.url, timeline, 2) as fleet:
        histories = asyncio.gather(*(r.history() for r in fleet))
        await until(lambda: sum(len(r.jobs.leading) for r in fleet) == 1)
        await asyncio.sleep(0.3)
        own_redis.kill()
        killed_at = time.monotonic()
        await until(lambda: all(r.reads_at[-1:] > [killed_at] for r in fleet))
        own_redis.start()  # empty, on the same port: its breaker lets a probe through soon
        await until(lambda: sum(len(r.jobs.leading) for r in fleet) == 1 or timeline.finished())
        rejoined = not timeline.finished()
        first, second = await histories
    check_complete(first, 12)
    check_complete(second, 12)
    assert without_times(first) == without_times(second)
    assert rejoined


async def test_each_replica_listens_for_all_its_jobs_on_one_connection(
    redis_server: RedisServer,
) -> None:
    timeline = Timeline(size=3, step=0.1)
    names = [f"{JOB}-{n}" for n in range(5)]

    async def read(job_name: str) -> JobCandidates:
        return timeline.now()

    async with AsyncExitStack() as stack:
        fleet = []
        for _ in range(2):
            connection = RedisConnection.from_url(redis_server.url, key_prefix="test", timeout=1.0)
            stack.push_async_callback(connection.close)
            fleet.append(FleetLiveJobs(read, connection, interval=INTERVAL))
            stack.push_async_callback(fleet[-1].close)
        feeds = [
            await stack.enter_async_context(live.watch(name)) for live in fleet for name in names
        ]
        listening = redis_server.client().client_list(_type="pubsub")
        counts = []
        for feed in feeds:
            snapshot, count = feed.baseline, 0
            while not is_finished(snapshot):
                update = await feed.next()
                snapshot, count = update.snapshot, count + len(update.changes)
            counts.append(count)
    assert len(listening) == 2, listening
    assert sum(len(live.leading) for live in fleet) == 0
    assert counts == [counts[0]] * 10 and counts[0] >= 7  # 3 ADDED, 3 completed, the job's end
