"""What every resolver can reach: the request's view of SageMaker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from starlette.requests import Request
from strawberry.types import Info as StrawberryInfo

from gateway.sagemaker.autopilot import Autopilot


@dataclass(slots=True)
class Context:
    request: Request
    autopilot: Autopilot


Info: TypeAlias = StrawberryInfo[Context, None]
