"""Deterministic names, digests and ARNs of the local SageMaker's resources.

Each is derived from a SHA-256 of its parts, never from Python's salted ``hash()``, so the same
job name yields the same candidate names, resource names and seeds in every process.
"""

from __future__ import annotations

import hashlib


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()


def stable_seed(*parts: object) -> int:
    """A process-independent 64-bit seed (Python's ``hash()`` is salted per process)."""
    return int.from_bytes(_digest(*parts)[:8], "big")


def hex_digest(*parts: object, length: int = 32) -> str:
    """A process-independent hex digest, for the random-looking tails of AWS's names."""
    return _digest(*parts).hex()[:length]


def partition(region: str) -> str:
    """The ARN partition of a region."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def sagemaker_arn(region: str, account_id: str, resource_type: str, name: str) -> str:
    """The ARN of a SageMaker resource (SageMaker lower-cases the name in its ARNs)."""
    return f"arn:{partition(region)}:sagemaker:{region}:{account_id}:{resource_type}/{name.lower()}"


def name_prefix(job_name: str) -> str:
    """The job-name prefix AWS puts in front of candidate and step names."""
    return job_name[:20].rstrip("-")


def resource_name(prefix: str, middle: str, digest: str) -> str:
    """``<prefix>-<middle>-<digest>`` trimmed to SageMaker's 63-character job-name limit."""
    room = 63 - len(prefix) - len(middle) - 2
    return f"{prefix}-{middle}-{digest[: max(room, 8)]}"
