"""Readiness: SageMaker answers the gateway's credentials, checked at most every few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable

from gateway.errors import GatewayError
from gateway.sagemaker.client import SageMaker


class Readiness:
    def __init__(
        self,
        sagemaker: SageMaker,
        *,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sagemaker = sagemaker
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._checked_at = -float("inf")
        self._last: tuple[bool, str] = (False, "not checked yet")

    async def check(self) -> tuple[bool, str]:
        """Whether SageMaker answered a cheap authenticated call, and why not if it did not."""
        if self._clock() - self._checked_at < self._cache_seconds:
            return self._last
        try:
            await self._sagemaker.call("list_auto_ml_jobs", {"MaxResults": 1})
            self._last = (True, "ok")
        except GatewayError as error:
            self._last = (False, error.message)
        self._checked_at = self._clock()
        return self._last
