"""Who is calling (authentication) and which jobs they may see (authorization).

The app builds one :class:`Authenticator` and one :class:`Policy` at start-up, then per
request calls ``await authenticator.authenticate(peer_host, headers)`` and
``policy.for_caller(caller)``. An :class:`AuthError` becomes its ``status_code`` with its
``headers()``; nothing here reads the environment or knows about Starlette.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Literal, Protocol, get_args

from gateway.auth.errors import AuthError, AuthUnavailable, Unauthenticated
from gateway.auth.headers import header_values
from gateway.auth.identity import ANONYMOUS, Caller
from gateway.auth.jwt import DEFAULT_ALGORITHMS, REPEATED, JwtVerifier
from gateway.auth.policy import DEFAULT_CLAIM, Policy
from gateway.auth.proxy import (
    FORWARDED_HEADERS,
    OAUTH2_PROXY_HEADERS,
    ProxyHeaders,
    ProxyIdentity,
)

__all__ = [
    "ANONYMOUS",
    "DEFAULT_ALGORITHMS",
    "FORWARDED_HEADERS",
    "OAUTH2_PROXY_HEADERS",
    "AuthError",
    "AuthMode",
    "AuthUnavailable",
    "Authenticator",
    "Caller",
    "JwtVerifier",
    "Policy",
    "ProxyHeaders",
    "ProxyIdentity",
    "Unauthenticated",
    "build_authenticator",
    "build_policy",
]

logger = logging.getLogger(__name__)

AuthMode = Literal["jwt", "proxy", "none"]


class Authenticator(Protocol):
    async def authenticate(self, peer_host: str | None, headers: Mapping[str, str]) -> Caller:
        """The caller of a request, from its direct peer's address and its headers.

        Raises :class:`AuthError`. Pass Starlette's ``request.headers``, which keeps
        repeated headers, and ``request.client.host`` (the TCP peer).
        """
        ...


class BearerAuthenticator:
    def __init__(self, tokens: JwtVerifier) -> None:
        self.tokens = tokens

    async def authenticate(self, peer_host: str | None, headers: Mapping[str, str]) -> Caller:
        values = header_values(headers, "Authorization")
        if len(values) > 1:
            raise Unauthenticated(REPEATED)
        return await self.tokens.verify(values[0] if values else None)


class ProxyAuthenticator:
    def __init__(self, proxy: ProxyIdentity) -> None:
        self.proxy = proxy

    async def authenticate(self, peer_host: str | None, headers: Mapping[str, str]) -> Caller:
        return self.proxy.identify(peer_host, headers)


class NoAuthenticator:
    async def authenticate(self, peer_host: str | None, headers: Mapping[str, str]) -> Caller:
        return ANONYMOUS


def build_authenticator(
    mode: AuthMode,
    *,
    jwt_jwks_url: str | None = None,
    jwt_issuer: str | None = None,
    jwt_audience: str | Iterable[str] | None = None,
    jwt_algorithms: str | Iterable[str] = DEFAULT_ALGORITHMS,
    jwt_leeway_seconds: float = 30.0,
    jwt_jwks_refresh_seconds: float = 60.0,
    trusted_proxies: str | Iterable[str] = (),
    proxy_headers: ProxyHeaders = OAUTH2_PROXY_HEADERS,
) -> Authenticator:
    """The authenticator of ``mode``; a ValueError explains any setting it cannot work with."""
    if mode == "jwt":
        return BearerAuthenticator(
            JwtVerifier(
                issuer=jwt_issuer or "",
                audience=jwt_audience or (),
                jwks_url=jwt_jwks_url,
                algorithms=jwt_algorithms,
                leeway_seconds=jwt_leeway_seconds,
                jwks_refresh_seconds=jwt_jwks_refresh_seconds,
            )
        )
    if mode == "proxy":
        return ProxyAuthenticator(ProxyIdentity(trusted_proxies, proxy_headers))
    if mode == "none":
        logger.warning(
            "Authentication is off: anyone who can reach the gateway sees every Autopilot job "
            "its AWS role can read."
        )
        return NoAuthenticator()
    raise ValueError(f"unknown auth mode {mode!r}; expected one of {', '.join(get_args(AuthMode))}")


def build_policy(
    mode: AuthMode,
    claim: str = DEFAULT_CLAIM,
    policy: str | Mapping[str, object] | None = None,
) -> Policy:
    """The authorization policy; refused in mode ``none``, where no caller has claims."""
    if mode == "none" and policy is not None:
        raise ValueError(
            "an authorization policy needs authenticated callers: with auth mode none nobody "
            "has a claim, so nobody would see any job. Use auth mode jwt or proxy."
        )
    return Policy(policy, claim=claim)
