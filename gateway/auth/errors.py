"""Why a request could not be authenticated, as the client may see it.

Both errors carry the HTTP status and headers to answer with, so the app can turn any
:class:`AuthError` into a response without knowing which mode raised it.
"""

from __future__ import annotations

import math
import re
from typing import ClassVar, Literal

from gateway.errors import GatewayError

REALM = "autopilot-gateway"

# RFC 6750 section 3: error_description is limited to these characters (no quote, no backslash).
_NOT_QUOTABLE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


class AuthError(GatewayError):
    """A request the gateway refuses before reading anything for it."""

    status_code: ClassVar[int] = 401

    def headers(self) -> dict[str, str]:
        return {}


class Unauthenticated(AuthError):
    """No credentials, or credentials that do not prove who the caller is (HTTP 401).

    ``error`` is RFC 6750's error code: ``None`` when the request simply carried no
    credentials, so that clients know to sign in rather than to fix a token.
    """

    code = "UNAUTHENTICATED"
    status_code = 401

    def __init__(self, message: str, *, error: Literal["invalid_token"] | None = "invalid_token"):
        super().__init__(message)
        self.error = error

    @property
    def www_authenticate(self) -> str:
        """The ``WWW-Authenticate`` challenge that must accompany a 401."""
        if self.error is None:
            return f'Bearer realm="{REALM}"'
        description = _NOT_QUOTABLE.sub("?", self.message)
        return f'Bearer realm="{REALM}", error="{self.error}", error_description="{description}"'

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.www_authenticate}


class AuthUnavailable(AuthError):
    """Tokens cannot be checked yet: the identity provider's keys were never obtained (503).

    Not a 401, so that clients keep their (probably valid) token and retry instead of
    sending their users through sign-in again.
    """

    code = "UPSTREAM_UNAVAILABLE"  # the identity provider is the upstream that is down
    status_code = 503

    def __init__(self, retry_after_seconds: float) -> None:
        super().__init__("Sign-in cannot be checked right now; try again shortly.")
        self.retry_after_seconds = max(1, math.ceil(retry_after_seconds))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}
