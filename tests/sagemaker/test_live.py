"""The poller registry: one poller per watched job, fan-out in order, back-off, clean stops.

The reader is a script of reads and the sleep a gate the test opens, so each poll round
happens exactly when the test says.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import pytest

from gateway.errors import NotFound, Throttled, UpstreamUnavailable
from gateway.observability import caller_id, request_id
from gateway.sagemaker.leaderboards import JobCandidates
from gateway.sagemaker.live import MAX_PENDING_UPDATES, Feed, FellBehind, LiveJobs, ShuttingDown
from gateway.sagemaker.usage import Usage, current_usage
from tests.sagemaker.live_data import JOB, candidate, read


class Script:
    """Reads handed out in order (an exception is raised instead); counts the calls."""

    def __init__(self, *reads: JobCandidates | Exception) -> None:
        self.reads = list(reads)
        self.calls = 0

    async def __call__(self, job_name: str) -> JobCandidates:
        assert job_name == JOB
        self.calls += 1
        item = self.reads.pop(0) if len(self.reads) > 1 else self.reads[0]
        if isinstance(item, Exception):
            raise item
        return item


class Gate:
    """The poller's sleep: records each delay and waits for the test to let a round run."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._opened: asyncio.Queue[None] = asyncio.Queue()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await self._opened.get()

    async def rounds(self, count: int = 1) -> None:
        for _ in range(count):
            self._opened.put_nowait(None)
        for _ in range(20):  # let the poller run the rounds and publish
            await asyncio.sleep(0)


def live(script: Script, gate: Gate, interval: float = 15.0) -> LiveJobs:
    return LiveJobs(script, interval=interval, max_backoff=120.0, sleep=gate)


async def pending(feed: Feed) -> list[Any]:
    """Every update waiting in the feed: the names its events are about."""
    found = []
    while not feed._queue.empty():
        update = await feed.next()
        found.append(
            [(c.kind.value, (c.candidate or {}).get("CandidateName")) for c in update.changes]
        )
    return found


async def test_many_watchers_share_one_poller_and_one_read_per_round() -> None:
    script = Script(read(candidate(1)), read(candidate(1), candidate(2)))
    gate = Gate()
    jobs = live(script, gate)
    async with AsyncExitStack() as stack:
        feeds = [await stack.enter_async_context(jobs.watch(JOB)) for _ in range(50)]
        assert script.calls == 1 and jobs.polled == [JOB]
        await gate.rounds()
        assert script.calls == 2
        for feed in feeds:
            assert await pending(feed) == [[("ADDED", "churn-live-002")]]
    await asyncio.sleep(0)
    assert jobs.polled == []
    assert gate.delays == [15.0, 15.0]  # the second: waiting for a round that never came


async def test_a_late_watcher_starts_from_the_latest_read_and_misses_nothing_after_it() -> None:
    script = Script(
        read(candidate(1)),
        read(candidate(1), candidate(2)),
        read(candidate(1), candidate(2), candidate(3)),
    )
    gate = Gate()
    jobs = live(script, gate)
    async with jobs.watch(JOB) as early:
        await gate.rounds()
        async with jobs.watch(JOB) as late:
            assert [c["CandidateName"] for c in late.baseline.candidates][-1] == "churn-live-002"
            await gate.rounds()
            assert await pending(late) == [[("ADDED", "churn-live-003")]]
        assert await pending(early) == [
            [("ADDED", "churn-live-002")],
            [("ADDED", "churn-live-003")],
        ]
    assert script.calls == 3


async def test_rounds_without_a_change_send_nothing() -> None:
    script = Script(read(candidate(1)))
    gate = Gate()
    async with live(script, gate).watch(JOB) as feed:
        await gate.rounds(3)
        assert await pending(feed) == []
    assert script.calls == 4


async def test_throttling_backs_off_and_loses_nothing() -> None:
    throttled = Throttled("SageMaker is throttling.")
    script = Script(
        read(candidate(1)),
        throttled,
        UpstreamUnavailable("down"),
        throttled,
        read(candidate(1), candidate(2)),
        read(candidate(1), candidate(2), candidate(3)),
    )
    gate = Gate()
    async with live(script, gate, interval=10.0).watch(JOB) as feed:
        await gate.rounds(5)
        assert await pending(feed) == [[("ADDED", "churn-live-002")], [("ADDED", "churn-live-003")]]
    assert gate.delays == [10.0, 20.0, 40.0, 80.0, 10.0, 10.0]


async def test_backoff_stops_at_its_maximum() -> None:
    script = Script(read(candidate(1)), *[Throttled("slow down")] * 6)
    gate = Gate()
    async with live(script, gate, interval=50.0).watch(JOB):
        await gate.rounds(4)
    assert gate.delays == [50.0, 100.0, 120.0, 120.0, 120.0]


async def test_the_poller_stops_after_the_job_finishes() -> None:
    script = Script(
        read(candidate(1)), read(candidate(1), status="Completed", secondary="Completed")
    )
    gate = Gate()
    jobs = live(script, gate)
    async with jobs.watch(JOB) as feed:
        await gate.rounds()
        update = await feed.next()
        assert update.changes[-1].kind.value == "JOB_STATUS_CHANGED"
        assert jobs.polled == []
        await gate.rounds()
    assert script.calls == 2


async def test_a_finished_job_is_read_once_per_watch() -> None:
    script = Script(read(status="Failed", secondary="Failed"))
    gate = Gate()
    jobs = live(script, gate)
    for _ in range(2):
        async with jobs.watch(JOB) as feed:
            assert feed.baseline.description["AutoMLJobStatus"] == "Failed"
    assert script.calls == 2 and gate.delays == []


async def test_an_error_that_is_not_throttling_ends_every_subscription() -> None:
    script = Script(read(candidate(1)), NotFound("No AutoML job named 'churn-live'."))
    gate = Gate()
    jobs = live(script, gate)
    async with jobs.watch(JOB) as one, jobs.watch(JOB) as two:
        await gate.rounds()
        for feed in (one, two):
            with pytest.raises(NotFound):
                await feed.next()
    with pytest.raises(NotFound):
        async with jobs.watch(JOB):
            pass


async def test_watchers_waiting_for_the_first_read_share_it() -> None:
    script = Script(Throttled("slow down"), read(candidate(1)))
    gate = Gate()
    jobs = live(script, gate)

    async def watch() -> JobCandidates:
        async with jobs.watch(JOB) as feed:
            return feed.baseline

    watchers = asyncio.gather(watch(), watch())
    await gate.rounds()
    first, second = await watchers
    assert first is second
    assert script.calls == 2
    assert gate.delays[0] == 30.0  # throttled at once: twice the interval


async def test_a_watcher_that_leaves_before_the_first_read_stops_nobody_else() -> None:
    script = Script(Throttled("slow down"), read(candidate(1)))
    gate = Gate()
    jobs = live(script, gate)
    leaving = asyncio.create_task(jobs.watch(JOB).__aenter__())
    async with AsyncExitStack() as stack:
        staying = asyncio.create_task(stack.enter_async_context(jobs.watch(JOB)))
        await asyncio.sleep(0)
        leaving.cancel()
        await gate.rounds()
        feed = await staying
        assert feed.baseline.candidates[0]["CandidateName"] == "churn-live-001"


async def test_a_subscriber_that_stops_reading_is_dropped_not_the_others() -> None:
    assert MAX_PENDING_UPDATES <= 100  # each update holds a whole read of the job
    flips = [read(candidate(1, "InProgress")), read(candidate(1, "Failed"))]
    reads = [flips[n % 2] for n in range(MAX_PENDING_UPDATES + 2)]
    script = Script(*reads)
    gate = Gate()
    jobs = live(script, gate)
    async with jobs.watch(JOB) as feed, jobs.watch(JOB) as reading:
        for _ in range(MAX_PENDING_UPDATES):
            await gate.rounds()
            assert len(await pending(reading)) == 1
        assert feed._queue.qsize() == MAX_PENDING_UPDATES  # still there, at the bound
        await gate.rounds()
        with pytest.raises(FellBehind):
            await feed.next()
        assert len(await pending(reading)) == 1


async def test_a_poller_runs_in_its_own_context_spending_its_starters_budget() -> None:
    seen: list[tuple[str, str | None, Usage | None]] = []

    async def reader(job_name: str) -> JobCandidates:
        seen.append((request_id.get(), caller_id.get(), current_usage.get()))
        return read(candidate(1), status="Completed")

    usage = Usage("alice")
    request_id.set("request-of-alice")
    caller_id.set("alice")
    current_usage.set(usage)
    async with LiveJobs(reader, interval=15.0).watch(JOB):
        pass
    ((poller_request, poller_caller, poller_usage),) = seen
    assert (poller_request, poller_caller) == (f"live-{JOB}", "-")
    assert poller_usage is not None and poller_usage is not usage  # her request's is her own
    assert poller_usage.caller == "alice"
    assert (request_id.get(), current_usage.get()) == ("request-of-alice", usage)


async def test_close_ends_every_subscription_and_refuses_new_ones() -> None:
    script = Script(read(candidate(1)))
    gate = Gate()
    jobs = live(script, gate)

    async with jobs.watch(JOB) as feed:
        await jobs.close()
        assert jobs.polled == []
        with pytest.raises(ShuttingDown):
            await feed.next()
    with pytest.raises(ShuttingDown):
        async with jobs.watch(JOB):
            pass
