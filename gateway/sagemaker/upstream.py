"""The process's reads of SageMaker: cached by job state, coalesced while in flight.

A job in a terminal status (Completed, Failed, Stopped) no longer changes, so its description
and its candidate pages are cached for ``cache_ttl_seconds``. Anything that can still change
(jobs in progress, the list of jobs, candidates of a job whose status is not known yet) is
cached for ``active_cache_ttl_seconds`` at most, so a job's status is never staler than that.

A hot answer is refreshed ahead: the first read in the last fifth of its active TTL (one
second by default) fetches it again, while the others are answered from the cache, so busy
pages never all miss at once when an answer expires.

Reads are shared by every caller: authorization is decided before a read (a caller asks only
for jobs it may see) and lists are filtered after it, so SageMaker's answer to a read is the
same whoever asks. Ten teams looking at one job cost the calls of one. A call this process
makes is spent from its caller's budget, when there is one; answers from the cache and calls
shared with another caller are free.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.cache import Cache, Cached, Flights, LocalFlights
from gateway.errors import Throttled
from gateway.sagemaker.client import SageMaker
from gateway.sagemaker.singleflight import SingleFlight
from gateway.sagemaker.usage import CallBudget, Usage, current_usage
from gateway.shapes import AWS

TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Stopped"})
MAX_KNOWN_JOBS = 100_000
REFRESH_AHEAD = 0.2
"""The part of the active TTL before expiry in which a hot answer is fetched again."""


@dataclass(frozen=True, slots=True)
class CachePolicy:
    terminal_ttl: float
    active_ttl: float

    @property
    def refresh_window(self) -> float:
        """Seconds before expiry in which the next read refreshes an answer."""
        return self.active_ttl * REFRESH_AHEAD


@dataclass(frozen=True, slots=True)
class Read:
    """One upstream read: an operation and its parameters, compared by their canonical JSON."""

    operation: str
    canonical: str
    params: Mapping[str, Any] = field(compare=False, hash=False)

    @classmethod
    def of(cls, operation: str, params: Mapping[str, Any]) -> Read:
        return cls(operation, json.dumps(params, sort_keys=True, default=str), params)

    @property
    def job_name(self) -> str | None:
        name: str | None = self.params.get("AutoMLJobName")
        return name


@dataclass(frozen=True, slots=True)
class Answer:
    response: AWS
    ttl: float  # how long this answer may still be reused; 0 means not at all


class Upstream:
    def __init__(
        self,
        sagemaker: SageMaker,
        cache: Cache,
        policy: CachePolicy,
        *,
        budget: CallBudget | None = None,
        flights: Flights | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sagemaker = sagemaker
        self._budget = budget
        self._clock = clock
        self._cache = cache
        self._policy = policy
        self._flights = flights or LocalFlights()
        self._in_flight: SingleFlight[Answer] = SingleFlight()
        self._terminal_jobs: dict[str, float] = {}

    async def read(self, read: Read) -> Answer:
        key = f"{read.operation}\x00{read.canonical}"
        cached = await self._cache.get(key)
        usage = current_usage.get()
        if cached is not None:
            ttl = cached.ttl(self._clock())
            if ttl >= self._policy.refresh_window or self._in_flight.running(key):
                if usage is not None:
                    usage.cache_hits += 1
                return self._reused(read, cached.value, ttl)
            if not await self._may_call(usage):
                return Answer(cached.value, ttl)  # a refresh is not worth the caller's budget
        else:
            await self._spend_unless_shared(key, usage)
        return await self._in_flight.do(key, lambda: self._fetch(key, read, cached))

    async def _spend_unless_shared(self, key: str, usage: Usage | None) -> None:
        """Counts a read joining one in flight as a cache hit; spends a call from the
        caller's budget for any other (``THROTTLED`` when it is spent)."""
        if self._in_flight.running(key):
            if usage is not None:
                usage.cache_hits += 1
        elif self._budget is not None and usage is not None:
            await self._budget.spend(usage.caller)

    async def _may_call(self, usage: Usage | None) -> bool:
        """Whether the caller's budget has a call left (taking it), for a refresh ahead."""
        if self._budget is None or usage is None:
            return True
        try:
            await self._budget.spend(usage.caller)
        except Throttled:
            return False
        return True

    async def refresh(self, read: Read) -> Answer:
        """A new answer to ``read``, stored in place of the cached one: what a poller reads,
        never older than the moment it asked. An identical read already in flight (a query's)
        is shared (and free), since it started after the poller's previous read; a call is
        spent from the budget of the caller in the context (the poller's starter)."""
        key = f"{read.operation}\x00{read.canonical}"
        stale = await self._cache.get(key)
        await self._spend_unless_shared(key, current_usage.get())
        return await self._in_flight.do(key, lambda: self._fetch(key, read, stale))

    async def _fetch(self, key: str, read: Read, stale: Cached | None) -> Answer:
        """SageMaker's answer, or the one another replica fetched meanwhile (newer than
        ``stale``, the entry this read is replacing)."""
        async with self._flights.fill(key) as filled_elsewhere:
            if filled_elsewhere:
                cached = await self._cache.get(key)
                if cached is not None and (stale is None or cached.expires_at > stale.expires_at):
                    return self._reused(read, cached.value, cached.ttl(self._clock()))
            response, size = await self._sagemaker.call(read.operation, read.params)
            ttl = self._ttl(read, response)
            await self._cache.set(key, response, ttl=ttl, size=size or len(read.canonical))
            return Answer(response, ttl)

    def _reused(self, read: Read, response: AWS, ttl: float) -> Answer:
        """An answer another replica fetched: its job's status is worth knowing here too, so
        that this process's own reads of the job get the job's TTL."""
        if read.operation == "describe_auto_ml_job_v2" and read.job_name is not None:
            self._learn(read.job_name, response["AutoMLJobStatus"], self._clock())
        return Answer(response, ttl)

    def _ttl(self, read: Read, response: AWS) -> float:
        now = self._clock()
        if read.operation == "list_auto_ml_jobs":
            for summary in response.get("AutoMLJobSummaries", []):
                self._learn(summary["AutoMLJobName"], summary["AutoMLJobStatus"], now)
            return self._policy.active_ttl
        job = read.job_name
        if job is None:
            return 0
        if read.operation == "describe_auto_ml_job_v2":
            self._learn(job, response["AutoMLJobStatus"], now)
        if self._terminal_jobs.get(job, 0) > now:
            return self._policy.terminal_ttl
        return self._policy.active_ttl

    def _learn(self, job: str, status: str, now: float) -> None:
        if len(self._terminal_jobs) > MAX_KNOWN_JOBS:
            self._terminal_jobs = {k: t for k, t in self._terminal_jobs.items() if t > now}
        if status in TERMINAL_STATUSES:
            self._terminal_jobs[job] = now + self._policy.terminal_ttl
        else:
            self._terminal_jobs.pop(job, None)
