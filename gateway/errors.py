"""Errors the gateway reports to clients, each with a stable ``extensions.code``.

Anything raised from a resolver that is not a :class:`GatewayError` is a bug or an
upstream surprise: clients see a generic ``INTERNAL`` error and the details go to the log.
"""

from __future__ import annotations

from typing import ClassVar


class GatewayError(Exception):
    """An error whose message is safe to show to the client."""

    code: ClassVar[str] = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadUserInput(GatewayError):
    code = "BAD_USER_INPUT"


class NotFound(GatewayError):
    code = "NOT_FOUND"


class CredentialsExpired(GatewayError):
    """The caller's token expired while a subscription was open."""

    code = "UNAUTHENTICATED"


class Throttled(GatewayError):
    code = "THROTTLED"


class UpstreamUnavailable(GatewayError):
    code = "UPSTREAM_UNAVAILABLE"


class InternalError(GatewayError):
    code = "INTERNAL"
