"""The reads resolvers make: one object per request over the process's SageMaker client."""

from __future__ import annotations

from typing import Any

from gateway.sagemaker.candidates import MAX_CANDIDATES_PER_CALL, CandidateQuery, check_job_name
from gateway.sagemaker.client import SageMaker
from gateway.sagemaker.connections import ConnectionPage, PageLimits, read_connection
from gateway.sagemaker.paging import Page
from gateway.settings import Settings


class Autopilot:
    def __init__(self, sagemaker: SageMaker, settings: Settings) -> None:
        self._sagemaker = sagemaker
        self._candidate_limits = PageLimits(
            default_size=settings.default_page_size,
            max_size=settings.max_page_size,
            max_upstream_page_size=MAX_CANDIDATES_PER_CALL,
            max_upstream_calls=settings.max_upstream_calls_per_field,
        )

    async def job(self, name: str) -> dict[str, Any]:
        check_job_name(name)
        return await self._sagemaker.describe_auto_ml_job(name)

    async def candidates(
        self, query: CandidateQuery, *, first: int | None, after: str | None
    ) -> ConnectionPage[dict[str, Any]]:
        async def fetch(token: str | None, max_results: int) -> Page[dict[str, Any]]:
            response = await self._sagemaker.list_candidates(query.request(token, max_results))
            return Page(response.get("Candidates", []), response.get("NextToken"))

        return await read_connection(
            fetch,
            query_fingerprint=query.fingerprint,
            first=first,
            after=after,
            limits=self._candidate_limits,
        )
