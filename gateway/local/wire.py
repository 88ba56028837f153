"""Values as SageMaker's JSON protocol carries them, so every builder answers alike.

AWS omits members that are not set instead of sending nulls, and its timestamps are UTC with
millisecond precision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.shapes import AWS


def present(**members: Any) -> AWS:
    """The members that are set (AWS omits absent members rather than sending nulls)."""
    return {k: v for k, v in members.items() if v is not None and v != {}}


def current_time() -> datetime:
    """The current time as SageMaker records it: UTC, truncated to milliseconds."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def aware(value: datetime) -> datetime:
    """``value`` in UTC when the client sent it without a time zone (botocore assumes UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
