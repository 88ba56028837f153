"""What every resolver can reach: the request's view of SageMaker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeAlias

from starlette.requests import HTTPConnection
from strawberry.types import Info as StrawberryInfo

from gateway.sagemaker.autopilot import Autopilot
from gateway.sagemaker.live import JobFeeds


@dataclass(slots=True)
class Live:
    """What subscriptions add: the pollers, a fresh view of SageMaker for each message (a
    subscription outlives any request's deadline and read budget), and when the caller's
    credentials expire (a Unix time; None when they do not)."""

    feeds: JobFeeds
    renew: Callable[[], Autopilot]
    expires_at: float | None = None
    holder: str | None = None
    """The caller whose open connections this one counts among, once it is let in."""


@dataclass(slots=True)
class Context:
    request: HTTPConnection
    autopilot: Autopilot
    live: Live | None = None
    connection_params: dict[str, object] = field(default_factory=dict)
    """A WebSocket's ``connection_init`` payload (Strawberry sets it)."""


Info: TypeAlias = StrawberryInfo[Context, None]
