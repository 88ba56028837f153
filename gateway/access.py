"""Which Autopilot jobs a caller may see: decided by the policy, enforced by the SageMaker layer.

A :class:`JobAccess` is plain data so that both sides share it without depending on each
other. Its ``scope`` names its set of patterns: callers with the same patterns may share
cached results, callers with different ones never do.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache


@dataclass(frozen=True)
class JobAccess:
    patterns: frozenset[str]
    scope: str

    def allows(self, job_name: str) -> bool:
        """Whether the caller may see this job (case-sensitive glob match)."""
        return any(fnmatchcase(job_name, pattern) for pattern in self.patterns)

    @property
    def allows_all(self) -> bool:
        return "*" in self.patterns


ALL_JOBS = JobAccess(frozenset({"*"}), "all")
NO_JOBS = JobAccess(frozenset(), "none")


@lru_cache(maxsize=1024)
def job_access(patterns: frozenset[str]) -> JobAccess:
    """The access of these patterns; the same patterns always give the same scope."""
    if "*" in patterns:
        return ALL_JOBS
    if not patterns:
        return NO_JOBS
    digest = hashlib.sha256("\n".join(sorted(patterns)).encode()).hexdigest()
    return JobAccess(patterns, f"p-{digest[:32]}")
