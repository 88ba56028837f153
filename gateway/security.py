"""Turns settings into the app's authenticator and authorization policy."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from gateway.settings import Settings

logger = logging.getLogger(__name__)


class NoAuthentication:
    async def authenticate(self, peer_host: str | None, headers: Mapping[str, str]) -> Any:
        return None


def build_authenticator(settings: Settings) -> tuple[Any, Any]:
    if settings.auth_mode == "none":
        logger.warning(
            "GATEWAY_AUTH_MODE=none: anyone who can reach the gateway can read every "
            "Autopilot job its AWS role can. Use this only for a local demo."
        )
    return NoAuthentication(), None


def access_for(policy: Any, caller: Any) -> Any:
    return None


def describe_caller(caller: Any) -> str:
    return "anonymous"
