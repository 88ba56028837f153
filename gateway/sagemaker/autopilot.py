"""What resolvers read from SageMaker: one object per request over the process's client.

Descriptions go through a per-request DataLoader, so a job described by several fields (or
reached through several paths of one operation) costs one upstream call.
"""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.errors import NotFound
from gateway.sagemaker.candidates import (
    MAX_CANDIDATES_PER_CALL,
    CandidateQuery,
    candidate_key,
    check_candidate_name,
    check_job_name,
)
from gateway.sagemaker.client import SageMaker
from gateway.sagemaker.connections import PagedList, PageLimits
from gateway.sagemaker.cursors import CursorCodec
from gateway.sagemaker.jobs import MAX_JOBS_PER_CALL, JobQuery, job_key
from gateway.sagemaker.paging import FetchPage, Listing, Page
from gateway.settings import Settings

AWS = dict[str, Any]


class Autopilot:
    def __init__(self, sagemaker: SageMaker, settings: Settings, cursors: CursorCodec) -> None:
        self._sagemaker = sagemaker
        self._cursors = cursors
        self._limits = PageLimits(
            default_size=settings.default_page_size,
            max_size=settings.max_page_size,
            max_upstream_calls=settings.max_upstream_calls_per_field,
        )
        self._descriptions = DataLoader[str, AWS](load_fn=self._describe_many)

    async def job(self, name: str) -> AWS:
        """DescribeAutoMLJobV2 of a job; ``NOT_FOUND`` when there is none."""
        check_job_name(name)
        return await self._descriptions.load(name)

    async def _describe_many(self, names: list[str]) -> list[AWS | BaseException]:
        return await asyncio.gather(
            *(self._sagemaker.describe_auto_ml_job(name) for name in names),
            return_exceptions=True,
        )

    async def candidate(self, job_name: str, candidate_name: str) -> AWS:
        """One candidate by job and name; ``NOT_FOUND`` when there is none."""
        check_job_name(job_name)
        check_candidate_name(candidate_name, "id")
        query = CandidateQuery(job_name=job_name, candidate_name_equals=candidate_name)
        response = await self._sagemaker.list_candidates(query.request(None, 1))
        for candidate in response.get("Candidates", []):
            if candidate["CandidateName"] == candidate_name:
                found: AWS = candidate
                return found
        raise NotFound(f"No candidate named '{candidate_name}' in AutoML job '{job_name}'.")

    def candidates(self, query: CandidateQuery) -> PagedList[AWS]:
        async def fetch(token: str | None, max_results: int) -> Page[AWS]:
            response = await self._sagemaker.list_candidates(query.request(token, max_results))
            return Page(response.get("Candidates", []), response.get("NextToken"))

        listing = Listing(fetch=fetch, key=candidate_key, max_page_size=MAX_CANDIDATES_PER_CALL)
        return PagedList(listing, query.fingerprint, self._cursors, self._limits)

    def jobs(self, query: JobQuery) -> PagedList[AWS]:
        def fetcher(reverse: bool) -> FetchPage[AWS]:
            async def fetch(token: str | None, max_results: int) -> Page[AWS]:
                params = query.request(token, max_results, reverse=reverse)
                response = await self._sagemaker.list_auto_ml_jobs(params)
                return Page(response.get("AutoMLJobSummaries", []), response.get("NextToken"))

            return fetch

        listing = Listing(
            fetch=fetcher(reverse=False),
            key=job_key,
            max_page_size=MAX_JOBS_PER_CALL,
            fetch_reversed=fetcher(reverse=True) if query.reversible else None,
        )
        return PagedList(listing, query.fingerprint, self._cursors, self._limits)
