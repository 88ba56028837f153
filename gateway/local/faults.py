"""Failures the local SageMaker can be told to answer with: throttling, 5xx, slowness.

Tests use them to show what the gateway does when SageMaker misbehaves, through the same
HTTP path as in production (botocore's retries included). A fault answers a number of calls,
or every call during a time window, or both (whichever runs out first).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import orjson

THROTTLING_MESSAGE: Final = "Rate exceeded"
"""The message SageMaker throttles with."""


@dataclass
class Fault:
    operation: str  # e.g. "ListCandidatesForAutoMLJob", or "*" for any
    code: str
    status: int
    times: int | None  # calls left to answer; None: any number until ``until``
    delay_seconds: float
    until: float | None = None  # on the faults' monotonic clock; None: until used up

    def response(self) -> tuple[int, dict[str, str], str]:
        """The (status, headers, body) of AWS's JSON-protocol error answer."""
        message = THROTTLING_MESSAGE if self.code == "ThrottlingException" else None
        body = {"__type": self.code, "message": message or f"Injected {self.code}"}
        return (
            self.status,
            {"Content-Type": "application/x-amz-json-1.1"},
            orjson.dumps(body).decode(),
        )

    def active(self, now: float) -> bool:
        return (self.times is None or self.times > 0) and (self.until is None or now < self.until)


class Faults:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._clock = clock
        self.injected = 0
        """How many requests were answered with a fault: what the client saw, retries included."""

    def inject(
        self,
        operation: str = "*",
        *,
        code: str = "ThrottlingException",
        status: int = 400,
        times: int | None = 1,
        for_seconds: float | None = None,
        delay_seconds: float = 0.0,
    ) -> None:
        """Answer the next ``times`` calls of ``operation`` with ``code`` (after a delay).

        With ``for_seconds``, only calls within that many seconds from now; ``times=None``
        then answers every call of the window.
        """
        if times is None and for_seconds is None:
            raise ValueError("a fault needs a number of calls (times), a window, or both")
        until = None if for_seconds is None else self._clock() + for_seconds
        with self._lock:
            self._faults.append(Fault(operation, code, status, times, delay_seconds, until))

    def throttle(
        self, operation: str = "*", *, times: int | None = None, for_seconds: float | None = None
    ) -> None:
        """Throttle ``operation`` as SageMaker does (HTTP 400 ``ThrottlingException``), for the
        next ``times`` calls or every call during ``for_seconds``."""
        self.inject(operation, times=times, for_seconds=for_seconds)

    def clear(self) -> None:
        """Forgets every fault, and the count of those answered."""
        with self._lock:
            self._faults.clear()
            self.injected = 0

    def take(self, operation: str) -> Fault | None:
        now = self._clock()
        with self._lock:
            self._faults = [f for f in self._faults if f.active(now)]
            for fault in self._faults:
                if fault.operation in ("*", operation):
                    if fault.times is not None:
                        fault.times -= 1
                    self.injected += 1
                    return fault
        return None
