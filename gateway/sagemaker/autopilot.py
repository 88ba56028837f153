"""What resolvers read from SageMaker: one object per request over the process's upstream.

Every read goes through a per-request DataLoader, so identical reads within an operation (or
a batch of operations) happen once, and reads for many jobs go out together. Below it, the
process-wide :class:`Upstream` caches by job state and coalesces identical reads in flight.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.access import ALL_JOBS, JobAccess
from gateway.errors import BadUserInput, NotFound, UpstreamUnavailable
from gateway.sagemaker.candidates import (
    MAX_CANDIDATES_PER_CALL,
    CandidateQuery,
    candidate_key,
    check_candidate_name,
    check_job_name,
)
from gateway.sagemaker.cursors import CursorCodec
from gateway.sagemaker.entries import Objectives
from gateway.sagemaker.filters import Filter
from gateway.sagemaker.jobs import MAX_JOBS_PER_CALL, JobQuery, job_key
from gateway.sagemaker.leaderboards import JobCandidates, Leaderboard
from gateway.sagemaker.planner import FetchPage, Listing, Page, PagedList, PageLimits
from gateway.sagemaker.ranking import Order
from gateway.sagemaker.reports import ReportKind, ReportLinks
from gateway.sagemaker.upstream import Answer, Read, Upstream
from gateway.settings import Settings
from gateway.shapes import AWS

MAX_SET_CALLS = 10
"""Candidate calls one job's whole set may take: a tabular job has at most 750 candidates,
three calls of 300; the bound only stops a list that never ends."""


class Autopilot:
    def __init__(
        self,
        upstream: Upstream,
        settings: Settings,
        cursors: CursorCodec,
        *,
        access: JobAccess | None = None,
        reports: ReportLinks | None = None,
        fresh: bool = False,
    ) -> None:
        """``fresh``: every read refreshes the cached answer instead of reusing it (a
        poller's reads)."""
        self._upstream = upstream
        self._fresh = fresh
        self._cursors = cursors
        self._access = access or ALL_JOBS
        self._reports = reports
        self.scope = self._access.scope
        self._deadline = asyncio.get_running_loop().time() + settings.request_timeout_seconds
        self._timeout = settings.request_timeout_seconds
        self._max_reads = settings.max_upstream_calls_per_operation
        self._seen: set[Read] = set()
        self._limits = PageLimits(
            default_size=settings.default_page_size,
            max_size=settings.max_page_size,
            max_upstream_calls=settings.max_upstream_calls_per_field,
        )
        self._reads = DataLoader[Read, Answer](load_fn=self._read_many)
        self.freshness = math.inf
        """How much longer everything this request read stays valid, in seconds."""

    @property
    def limits(self) -> PageLimits:
        return self._limits

    async def _read_many(self, reads: list[Read]) -> list[Answer | BaseException]:
        fetch = self._upstream.refresh if self._fresh else self._upstream.read
        return await asyncio.gather(*(fetch(read) for read in reads), return_exceptions=True)

    async def _read(self, operation: str, params: Mapping[str, Any]) -> AWS:
        read = Read.of(operation, params)
        if read not in self._seen:
            if len(self._seen) == self._max_reads:
                raise BadUserInput(
                    f"This operation needs more than {self._max_reads} SageMaker reads; "
                    "ask for fewer jobs or smaller pages."
                )
            self._seen.add(read)
        try:
            async with asyncio.timeout_at(self._deadline):
                # shielded: other fields awaiting the same read get their own timeout, not
                # a cancelled future
                answer = await asyncio.shield(self._reads.load(read))
        except TimeoutError:
            raise UpstreamUnavailable(
                f"SageMaker did not answer within the request's deadline ({self._timeout:g} s)."
            ) from None
        self.freshness = min(self.freshness, answer.ttl)
        return answer.response

    def _check_access(self, job_name: str) -> None:
        """A job the caller may not see does not exist for them: the same NOT_FOUND."""
        if not self._access.allows(job_name):
            raise NotFound(f"No AutoML job named '{job_name}'.")

    async def job(self, name: str) -> AWS:
        """DescribeAutoMLJobV2 of a job; ``NOT_FOUND`` when there is none."""
        check_job_name(name)
        self._check_access(name)
        return await self._read("describe_auto_ml_job_v2", {"AutoMLJobName": name})

    def known_job(self, description: AWS) -> None:
        """Answers this request's reads of the job with ``description``, a poller's read (on
        a fleet, perhaps another replica's): the fields of a subscription's message then agree
        with the read it is about, whatever this process's cache holds."""
        name = description.get("AutoMLJobName")
        if isinstance(name, str):
            read = Read.of("describe_auto_ml_job_v2", {"AutoMLJobName": name})
            self._reads.prime(read, Answer(description, 0.0))

    async def candidate(self, job_name: str, candidate_name: str) -> AWS:
        """One candidate by job and name; ``NOT_FOUND`` when there is none."""
        check_job_name(job_name)
        check_candidate_name(candidate_name, "id")
        self._check_access(job_name)
        query = CandidateQuery(job_name=job_name, candidate_name_equals=candidate_name)
        response = await self._read("list_candidates_for_auto_ml_job", query.request(None, 1))
        for candidate in response.get("Candidates", []):
            if candidate["CandidateName"] == candidate_name:
                found: AWS = candidate
                return found
        raise NotFound(f"No candidate named '{candidate_name}' in AutoML job '{job_name}'.")

    async def job_candidates(self, query: CandidateQuery) -> JobCandidates:
        """A job's description and its whole candidate set (in ``query``'s upstream order and
        status filter): one describe first, so the set's pages are cached as long as the job's
        state allows, then one call per 300 candidates."""
        description = await self.job(query.job_name)
        candidates: list[AWS] = []
        answers: list[AWS] = []
        token: str | None = None
        for _ in range(MAX_SET_CALLS):
            params = query.request(token, MAX_CANDIDATES_PER_CALL)
            response = await self._read("list_candidates_for_auto_ml_job", params)
            answers.append(response)
            candidates += response.get("Candidates", [])
            token = response.get("NextToken")
            if not token:
                return JobCandidates(query.job_name, description, candidates, tuple(answers))
        raise UpstreamUnavailable(
            f"AutoML job '{query.job_name}' lists more than "
            f"{MAX_SET_CALLS * MAX_CANDIDATES_PER_CALL} candidates; narrow the filters."
        )

    def leaderboard(
        self,
        sets: Sequence[JobCandidates],
        *,
        orders: Sequence[Order],
        where: Filter | None,
        objectives: Objectives,
        fingerprint: str,
    ) -> Leaderboard:
        """The sets' candidates filtered, ordered and ranked, paged with this gateway's
        cursors."""
        return Leaderboard.of_sets(
            sets,
            orders=orders,
            where=where,
            objectives=objectives,
            fingerprint=fingerprint,
            codec=self._cursors,
            limits=self._limits,
        )

    async def report_url(self, prefix: str | None, kind: ReportKind) -> str | None:
        """A link to a report under a candidate's artifact prefix, or None when links are off.
        The candidate was read for this caller, so its job is one they may see."""
        return None if self._reports is None else await self._reports.url(prefix, kind)

    def candidates(self, query: CandidateQuery) -> PagedList[AWS]:
        self._check_access(query.job_name)

        async def fetch(token: str | None, max_results: int) -> Page[AWS]:
            params = query.request(token, max_results)
            response = await self._read("list_candidates_for_auto_ml_job", params)
            return Page(response.get("Candidates", []), response.get("NextToken"))

        listing = Listing(fetch=fetch, key=candidate_key, max_page_size=MAX_CANDIDATES_PER_CALL)
        return PagedList(listing, query.fingerprint, self._cursors, self._limits)

    def jobs(self, query: JobQuery) -> PagedList[AWS]:
        def fetcher(reverse: bool) -> FetchPage[AWS]:
            async def fetch(token: str | None, max_results: int) -> Page[AWS]:
                params = query.request(token, max_results, reverse=reverse)
                response = await self._read("list_auto_ml_jobs", params)
                return Page(response.get("AutoMLJobSummaries", []), response.get("NextToken"))

            return fetch

        listing = Listing(
            fetch=fetcher(reverse=False),
            key=job_key,
            max_page_size=MAX_JOBS_PER_CALL,
            fetch_reversed=fetcher(reverse=True) if query.reversible else None,
            visible=lambda summary: self._access.allows(job_key(summary)),
        )
        return PagedList(listing, query.fingerprint, self._cursors, self._limits)
