"""The process-wide read path: state-aware caching, single-flight, bounded memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from gateway.cache import MemoryCache
from gateway.errors import Throttled
from gateway.rate_limits import MemoryTokenBuckets
from gateway.sagemaker.singleflight import SingleFlight
from gateway.sagemaker.upstream import CachePolicy, Read, Upstream
from gateway.sagemaker.usage import CallBudget, Usage, current_usage


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeSageMaker:
    """Answers like SageMaker for one job whose status the test controls."""

    def __init__(self) -> None:
        self.status = "InProgress"
        self.calls: list[str] = []
        self.gate: asyncio.Event | None = None

    async def call(self, operation: str, params: dict[str, Any]) -> tuple[dict[str, Any], int]:
        self.calls.append(operation)
        if self.gate is not None:
            await self.gate.wait()
        if operation == "describe_auto_ml_job_v2":
            return {"AutoMLJobName": "job", "AutoMLJobStatus": self.status}, 200
        if operation == "list_auto_ml_jobs":
            summary = {"AutoMLJobName": "job", "AutoMLJobStatus": self.status}
            return {"AutoMLJobSummaries": [summary]}, 300
        return {"Candidates": [{"CandidateName": f"c-{self.status}"}]}, 1000


DESCRIBE = Read.of("describe_auto_ml_job_v2", {"AutoMLJobName": "job"})
CANDIDATES = Read.of("list_candidates_for_auto_ml_job", {"AutoMLJobName": "job", "MaxResults": 5})
JOBS = Read.of("list_auto_ml_jobs", {"MaxResults": 100})


def upstream(sagemaker: FakeSageMaker, clock: Clock, **cache: int) -> Upstream:
    memory = MemoryCache(
        "sagemaker",
        max_entries=cache.get("entries", 100),
        max_bytes=cache.get("bytes", 10**6),
        clock=clock,
    )
    policy = CachePolicy(terminal_ttl=300, active_ttl=5)
    return Upstream(sagemaker, memory, policy, clock=clock)  # type: ignore[arg-type]


def budgeted(sagemaker: FakeSageMaker, clock: Clock, *, per_minute: int) -> Upstream:
    """An upstream whose callers may make ``per_minute`` calls a minute each."""
    memory = MemoryCache("sagemaker", max_entries=100, max_bytes=10**6, clock=clock)
    budget = CallBudget(MemoryTokenBuckets(clock=clock), per_minute=per_minute)
    policy = CachePolicy(terminal_ttl=300, active_ttl=5)
    return Upstream(sagemaker, memory, policy, budget=budget, clock=clock)  # type: ignore[arg-type]


def read(up: Upstream, what: Read) -> dict[str, Any]:
    return asyncio.run(up.read(what)).response


def test_a_job_in_progress_is_never_staler_than_the_active_ttl() -> None:
    sagemaker, clock = FakeSageMaker(), Clock()
    up = upstream(sagemaker, clock)
    assert read(up, DESCRIBE)["AutoMLJobStatus"] == "InProgress"
    sagemaker.status = "Completed"
    clock.now += 3.9
    assert read(up, DESCRIBE)["AutoMLJobStatus"] == "InProgress"  # cached
    clock.now += 1.2
    assert read(up, DESCRIBE)["AutoMLJobStatus"] == "Completed"
    assert sagemaker.calls == ["describe_auto_ml_job_v2"] * 2


def test_a_hot_answer_is_refreshed_by_one_read_before_it_expires() -> None:
    """In the last fifth of the active TTL, the first read fetches the answer again while the
    others are answered from the cache: a busy page never has every reader miss at once."""
    sagemaker, clock = FakeSageMaker(), Clock()
    up = upstream(sagemaker, clock)
    read(up, DESCRIBE)
    sagemaker.status = "Completed"
    clock.now += 4.5  # 0.5 s left: inside the one-second window

    async def at_once() -> list[str]:
        sagemaker.gate = asyncio.Event()
        first = asyncio.create_task(up.read(DESCRIBE))
        await asyncio.sleep(0)
        others = [(await up.read(DESCRIBE)).response["AutoMLJobStatus"] for _ in range(20)]
        sagemaker.gate.set()
        return [(await first).response["AutoMLJobStatus"], *others]

    statuses = asyncio.run(at_once())
    assert statuses == ["Completed"] + ["InProgress"] * 20  # no reader waited but the first
    assert sagemaker.calls == ["describe_auto_ml_job_v2"] * 2
    clock.now += 4.0  # the refreshed answer lives its own TTL
    assert read(up, DESCRIBE)["AutoMLJobStatus"] == "Completed"
    assert sagemaker.calls == ["describe_auto_ml_job_v2"] * 2


def test_a_finished_job_and_its_candidates_are_cached_for_the_long_ttl() -> None:
    sagemaker, clock = FakeSageMaker(), Clock()
    sagemaker.status = "Completed"
    up = upstream(sagemaker, clock)
    read(up, DESCRIBE)
    read(up, CANDIDATES)
    clock.now += 299
    read(up, DESCRIBE)
    read(up, CANDIDATES)
    assert len(sagemaker.calls) == 2
    clock.now += 2
    read(up, CANDIDATES)
    assert len(sagemaker.calls) == 3


def test_candidates_of_a_job_of_unknown_status_get_the_short_ttl() -> None:
    sagemaker, clock = FakeSageMaker(), Clock()
    sagemaker.status = "Completed"
    up = upstream(sagemaker, clock)
    read(up, CANDIDATES)
    clock.now += 6
    read(up, CANDIDATES)
    assert sagemaker.calls == ["list_candidates_for_auto_ml_job"] * 2


def test_the_job_list_teaches_which_jobs_are_finished_but_is_itself_short_lived() -> None:
    sagemaker, clock = FakeSageMaker(), Clock()
    sagemaker.status = "Stopped"
    up = upstream(sagemaker, clock)
    read(up, JOBS)
    read(up, CANDIDATES)
    clock.now += 60
    read(up, CANDIDATES)
    read(up, JOBS)
    assert sagemaker.calls == ["list_auto_ml_jobs", "list_candidates_for_auto_ml_job"] * 1 + [
        "list_auto_ml_jobs"
    ]


def test_identical_reads_share_one_entry() -> None:
    sagemaker, clock = FakeSageMaker(), Clock()
    up = upstream(sagemaker, clock)
    read(up, DESCRIBE)
    read(up, DESCRIBE)
    assert len(sagemaker.calls) == 1


def test_the_cache_is_bounded_in_entries_and_bytes() -> None:
    sagemaker, clock = FakeSageMaker(), Clock()
    sagemaker.status = "Completed"
    up = upstream(sagemaker, clock, entries=2, bytes=10**6)
    for size in (1, 2, 3):
        read(up, Read.of("describe_auto_ml_job_v2", {"AutoMLJobName": "job", "x": size}))
    read(up, Read.of("describe_auto_ml_job_v2", {"AutoMLJobName": "job", "x": 1}))
    assert len(sagemaker.calls) == 4  # the oldest entry was evicted

    small = upstream(sagemaker, clock, entries=100, bytes=1500)
    for page in (5, 6):
        read(small, Read.of("list_candidates_for_auto_ml_job", {"AutoMLJobName": "j", "p": page}))
    read(small, Read.of("list_candidates_for_auto_ml_job", {"AutoMLJobName": "j", "p": 5}))
    assert len(sagemaker.calls) == 7  # 1000 + 1000 bytes exceed 1500: the first was dropped


def test_concurrent_identical_reads_share_one_call() -> None:
    sagemaker, clock = FakeSageMaker(), Clock()
    up = upstream(sagemaker, clock)

    async def many() -> list[dict[str, Any]]:
        sagemaker.gate = asyncio.Event()
        reads = [asyncio.create_task(up.read(DESCRIBE)) for _ in range(50)]
        await asyncio.sleep(0)
        sagemaker.gate.set()
        return [answer.response for answer in await asyncio.gather(*reads)]

    answers = asyncio.run(many())
    assert len(answers) == 50
    assert sagemaker.calls == ["describe_auto_ml_job_v2"]


def test_a_cancelled_caller_does_not_cancel_the_shared_call() -> None:
    async def scenario() -> str:
        flight: SingleFlight[str] = SingleFlight()
        gate = asyncio.Event()

        async def call() -> str:
            await gate.wait()
            return "done"

        first = asyncio.create_task(flight.do("k", call))
        second = asyncio.create_task(flight.do("k", call))
        await asyncio.sleep(0)
        first.cancel()
        gate.set()
        with pytest.raises(asyncio.CancelledError):
            await first
        return await second

    assert asyncio.run(scenario()) == "done"


def test_only_calls_made_spend_the_callers_budget_and_shared_ones_are_cache_hits() -> None:
    async def scenario() -> None:
        sagemaker, clock = FakeSageMaker(), Clock()
        sagemaker.gate = asyncio.Event()
        up = budgeted(sagemaker, clock, per_minute=1)
        alice, bob = Usage("alice"), Usage("bob")

        async def read_as(usage: Usage, what: Read) -> Any:
            current_usage.set(usage)  # this task's own context
            return (await up.read(what)).response

        first = asyncio.create_task(read_as(alice, DESCRIBE))
        await asyncio.sleep(0)
        joined = asyncio.create_task(read_as(bob, DESCRIBE))
        await asyncio.sleep(0)
        sagemaker.gate.set()
        assert await first == await joined
        assert sagemaker.calls == ["describe_auto_ml_job_v2"]
        assert (alice.cache_hits, bob.cache_hits) == (0, 1)
        await read_as(alice, DESCRIBE)  # cached: free
        assert alice.cache_hits == 1
        await read_as(bob, JOBS)  # bob's one call of the minute is still his
        with pytest.raises(Throttled, match="1 SageMaker calls a minute"):
            await read_as(alice, CANDIDATES)
        assert len(sagemaker.calls) == 2
        clock.now += 60
        await read_as(alice, CANDIDATES)

    asyncio.run(scenario())


def test_a_refresh_replaces_the_cached_answer_and_queries_reuse_it() -> None:
    sagemaker, clock = FakeSageMaker(), Clock()
    up = upstream(sagemaker, clock)
    assert read(up, CANDIDATES)["Candidates"] == [{"CandidateName": "c-InProgress"}]
    sagemaker.status = "Completed"
    clock.now += 1  # the cached answer is still valid, but the poller wants what is now
    fresh = asyncio.run(up.refresh(CANDIDATES)).response
    assert fresh["Candidates"] == [{"CandidateName": "c-Completed"}]
    assert read(up, CANDIDATES) == fresh  # a query right after costs nothing
    assert sagemaker.calls == ["list_candidates_for_auto_ml_job"] * 2


def test_a_refresh_and_a_query_at_the_same_moment_share_one_call() -> None:
    sagemaker, clock = FakeSageMaker(), Clock()
    up = upstream(sagemaker, clock)
    sagemaker.gate = asyncio.Event()

    async def both() -> list[Any]:
        assert sagemaker.gate is not None
        polled = asyncio.ensure_future(up.refresh(DESCRIBE))
        await asyncio.sleep(0)
        queried = asyncio.ensure_future(up.read(DESCRIBE))
        await asyncio.sleep(0)
        sagemaker.gate.set()
        return [answer.response for answer in await asyncio.gather(polled, queried)]

    first, second = asyncio.run(both())
    assert first is second
    assert sagemaker.calls == ["describe_auto_ml_job_v2"]


def test_a_refresh_spends_the_callers_budget_unless_it_joins_a_read_in_flight() -> None:
    async def scenario() -> None:
        sagemaker, clock = FakeSageMaker(), Clock()
        up = budgeted(sagemaker, clock, per_minute=1)
        poller = Usage("alice")
        current_usage.set(poller)
        await up.refresh(DESCRIBE)
        with pytest.raises(Throttled, match="1 SageMaker calls a minute"):
            await up.refresh(DESCRIBE)
        assert sagemaker.calls == ["describe_auto_ml_job_v2"]
        sagemaker.gate = asyncio.Event()
        current_usage.set(Usage("bob"))
        queried = asyncio.create_task(up.read(CANDIDATES))
        await asyncio.sleep(0)
        current_usage.set(poller)
        polled = asyncio.create_task(up.refresh(CANDIDATES))  # shared with bob's: free
        await asyncio.sleep(0)
        sagemaker.gate.set()
        assert (await polled).response is (await queried).response
        assert poller.cache_hits == 1
        assert sagemaker.calls == ["describe_auto_ml_job_v2", "list_candidates_for_auto_ml_job"]

    asyncio.run(scenario())


class FilledElsewhere:
    """Flights as with other replicas: while this process waits its turn, another one fills
    the entry (here: writes it to the shared cache)."""

    def __init__(self, cache: MemoryCache, value: dict[str, Any] | None) -> None:
        self.cache, self.value, self.keys = cache, value, []

    @asynccontextmanager
    async def fill(self, key: str) -> AsyncIterator[bool]:
        self.keys.append(key)
        if self.value is not None:
            await self.cache.set(key, self.value, ttl=300, size=10)
        yield True


def shared_upstream(
    sagemaker: FakeSageMaker, clock: Clock, value: dict[str, Any] | None
) -> tuple[Upstream, FilledElsewhere]:
    memory = MemoryCache("sagemaker", max_entries=100, max_bytes=10**6, clock=clock)
    flights = FilledElsewhere(memory, value)
    policy = CachePolicy(terminal_ttl=300, active_ttl=5)
    up = Upstream(sagemaker, memory, policy, flights=flights, clock=clock)  # type: ignore[arg-type]
    return up, flights


def test_an_answer_another_replica_fetched_meanwhile_costs_no_call() -> None:
    sagemaker, clock = FakeSageMaker(), Clock()
    completed = {"AutoMLJobName": "job", "AutoMLJobStatus": "Completed"}
    up, flights = shared_upstream(sagemaker, clock, completed)
    assert read(up, DESCRIBE) == completed
    assert sagemaker.calls == [] and len(flights.keys) == 1
    # Its job's status is learnt as from a call: the job's pages get the finished job's TTL.
    flights.value = None
    read(up, CANDIDATES)
    clock.now += 299
    read(up, CANDIDATES)
    assert sagemaker.calls == ["list_candidates_for_auto_ml_job"]


def test_without_an_answer_from_elsewhere_the_process_calls_sagemaker_itself() -> None:
    sagemaker, clock = FakeSageMaker(), Clock()
    up, flights = shared_upstream(sagemaker, clock, None)
    assert read(up, DESCRIBE)["AutoMLJobStatus"] == "InProgress"
    assert read(up, DESCRIBE)["AutoMLJobStatus"] == "InProgress"  # now from the cache
    assert sagemaker.calls == ["describe_auto_ml_job_v2"]
    assert len(flights.keys) == 1
