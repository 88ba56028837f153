"""Failures the local SageMaker can be told to answer with: throttling, 5xx, slowness.

Tests use them to show what the gateway does when SageMaker misbehaves, through the same
HTTP path as in production (botocore's retries included).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import orjson


@dataclass
class Fault:
    operation: str  # e.g. "ListCandidatesForAutoMLJob", or "*" for any
    code: str
    status: int
    times: int
    delay_seconds: float

    def response(self) -> tuple[int, dict[str, str], str]:
        """The (status, headers, body) of AWS's JSON-protocol error answer."""
        body = orjson.dumps({"__type": self.code, "message": f"Injected {self.code}"}).decode()
        return self.status, {"Content-Type": "application/x-amz-json-1.1"}, body


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.injected = 0
        """How many requests were answered with a fault: what the client saw, retries included."""

    def inject(
        self,
        operation: str = "*",
        *,
        code: str = "ThrottlingException",
        status: int = 400,
        times: int = 1,
        delay_seconds: float = 0.0,
    ) -> None:
        """Answer the next ``times`` calls of ``operation`` with ``code`` (after a delay)."""
        with self._lock:
            self._faults.append(Fault(operation, code, status, times, delay_seconds))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, operation: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.operation in ("*", operation) and fault.times > 0:
                    fault.times -= 1
                    self.injected += 1
                    return fault
        return None
