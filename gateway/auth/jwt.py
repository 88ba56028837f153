"""Bearer tokens: JWTs signed by the identity provider, verified with PyJWT.

The token's ``alg`` is checked against the configured allowlist before any key is looked
up, and only asymmetric algorithms may be configured. A key from the JWKS is used only for
the algorithms its type and curve fit. Together these defeat ``alg: none`` and the classic
"HS256 signed with the RSA public key" forgery.

Messages say what to fix without echoing the token or the expected values.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

import jwt

from gateway.auth.errors import Unauthenticated
from gateway.auth.headers import as_list
from gateway.auth.identity import Caller
from gateway.auth.jwks import SUPPORTED_ALGORITHMS, Jwks, SigningKey

logger = logging.getLogger(__name__)

DEFAULT_ALGORITHMS = ("RS256", "ES256")
REQUIRED_CLAIMS = ("exp", "iss", "aud", "sub")
MAX_LEEWAY_SECONDS = 300.0
MAX_TOKEN_LENGTH = 16 * 1024

MISSING = "Authentication required: send an `Authorization: Bearer <token>` header."
WRONG_SCHEME = "Only bearer tokens are accepted: send `Authorization: Bearer <token>`."
REPEATED = "Send one Authorization header."
MALFORMED = "The bearer token is malformed: send a signed JWT."
ALGORITHM = "The token's signing algorithm is not accepted."
UNKNOWN_KEY = "The token was signed with a key this gateway does not know."
SIGNATURE = "The token's signature is invalid."
EXPIRED = "The token has expired."
NOT_YET_VALID = "The token is not valid yet."
ISSUER = "The token comes from an issuer this gateway does not trust."
AUDIENCE = "The token is not meant for this gateway (wrong audience)."
MISSING_CLAIM = "The token lacks the required `{claim}` claim."
INVALID = "The token is invalid."

# RFC 6750's b64token; a JWT is three base64url parts joined by dots.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def check_algorithms(algorithms: str | Iterable[str]) -> tuple[str, ...]:
    """The configured algorithm allowlist, refusing what must never verify a token."""
    names = tuple(as_list(algorithms))
    if not names:
        raise ValueError("at least one JWT algorithm must be allowed")
    for name in names:
        if name.lower() == "none":
            raise ValueError("JWT algorithm 'none' is never accepted: tokens must be signed")
        if name.upper().startswith("HS"):
            raise ValueError(
                f"JWT algorithm {name!r} is refused: HMAC algorithms use a shared secret, which "
                "a JWKS cannot provide and which allows forging tokens with a public key"
            )
        if name not in SUPPORTED_ALGORITHMS:
            known = ", ".join(sorted(SUPPORTED_ALGORITHMS))
            raise ValueError(f"unknown JWT algorithm {name!r}; supported: {known}")
    return names


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (the scheme is case-blind)."""
    parts = (authorization or "").split()
    if not parts:
        raise Unauthenticated(MISSING, error=None)
    if parts[0].lower() != "bearer":
        raise Unauthenticated(WRONG_SCHEME, error=None)  # RFC 6750 3.1: no error code
    if len(parts) == 1:
        raise Unauthenticated(MISSING, error=None)
    token = parts[1]
    if len(parts) > 2 or len(token) > MAX_TOKEN_LENGTH or not _B64TOKEN.fullmatch(token):
        raise Unauthenticated(MALFORMED)
    return token


class JwtVerifier:
    """Verifies the bearer JWT of an ``Authorization`` header and says whose it is.

    Keys come from ``jwks_url``, or from the issuer's OpenID Connect discovery document when
    it is not given. ``iss``, ``aud``, ``exp`` and ``sub`` are required; ``exp``, ``nbf``
    and ``iat`` are checked with ``leeway_seconds`` of tolerance for clock skew.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str | Iterable[str],
        jwks_url: str | None = None,
        algorithms: str | Iterable[str] = DEFAULT_ALGORITHMS,
        leeway_seconds: float = 30.0,
        jwks_refresh_seconds: float = 60.0,
        jwks_max_age_seconds: float = 3600.0,
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not issuer:
            raise ValueError("the JWT issuer is required: tokens' `iss` is always checked")
        audiences = as_list(audience)
        if not audiences:
            raise ValueError("the JWT audience is required: tokens' `aud` is always checked")
        if not 0 <= leeway_seconds <= MAX_LEEWAY_SECONDS:
            raise ValueError(f"the JWT leeway must be between 0 and {MAX_LEEWAY_SECONDS:g} s")
        self._algorithms = check_algorithms(algorithms)
        self._issuer = issuer
        self._audience = audiences
        self._leeway = leeway_seconds
        self._jwks = Jwks(
            jwks_url=jwks_url or None,
            issuer=issuer,
            refresh_seconds=jwks_refresh_seconds,
            max_age_seconds=max(jwks_max_age_seconds, jwks_refresh_seconds),
            timeout_seconds=timeout_seconds,
            clock=clock,
        )

    @property
    def algorithms(self) -> tuple[str, ...]:
        return self._algorithms

    async def verify(self, authorization_header: str | None) -> Caller:
        """The caller the token proves, or :class:`Unauthenticated`.

        Raises :class:`gateway.auth.errors.AuthUnavailable` while the identity provider's
        keys have never been fetched.
        """
        token = bearer_token(authorization_header)
        kid, alg = self._header(token)
        keys = await self._jwks.keys_for(kid, alg)
        if not keys:
            raise _refused(UNKNOWN_KEY, "no known key fits kid %r and alg %s", kid, alg)
        claims = self._verify(token, alg, keys)
        return Caller(subject=claims["sub"], claims=claims)

    def _header(self, token: str) -> tuple[str | None, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise _refused(MALFORMED, "the token's header does not parse") from None
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise _refused(ALGORITHM, "alg %r is not allowed", alg)
        if kid is not None and not isinstance(kid, str):
            raise _refused(MALFORMED, "the kid is not a string")
        return kid, alg

    def _verify(self, token: str, alg: str, keys: list[SigningKey]) -> dict[str, Any]:
        for key in keys:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    key=key.public_key,
                    algorithms=[alg],
                    audience=self._audience,
                    issuer=self._issuer,
                    leeway=self._leeway,
                    options={"require": list(REQUIRED_CLAIMS), "verify_signature": True},
                )
            except jwt.InvalidSignatureError:
                continue  # two keys may share a kid; the token must verify with one of them
            except jwt.InvalidTokenError as error:
                message, detail = _explain(error)
                raise _refused(message, "%s", detail) from None
            if not isinstance(claims.get("sub"), str) or not claims["sub"]:
                raise _refused(MISSING_CLAIM.format(claim="sub"), "sub is empty or no string")
            return claims
        raise _refused(SIGNATURE, "the signature does not verify with key %r", keys[0].kid)


def _explain(error: jwt.InvalidTokenError) -> tuple[str, str]:
    """The client's message and the log's detail for a token PyJWT refused."""
    detail = f"{type(error).__name__}: {error}"
    if isinstance(error, jwt.ExpiredSignatureError):
        return EXPIRED, detail
    if isinstance(error, jwt.ImmatureSignatureError):
        return NOT_YET_VALID, detail
    if isinstance(error, jwt.InvalidIssuerError):
        return ISSUER, detail
    if isinstance(error, jwt.InvalidAudienceError):
        return AUDIENCE, detail
    if isinstance(error, jwt.MissingRequiredClaimError) and error.claim in REQUIRED_CLAIMS:
        return MISSING_CLAIM.format(claim=error.claim), detail
    if isinstance(error, jwt.InvalidAlgorithmError):
        return ALGORITHM, detail
    if isinstance(error, jwt.DecodeError):
        return MALFORMED, detail
    return INVALID, detail


def _refused(message: str, detail: str, *args: object) -> Unauthenticated:
    logger.debug("Refused a bearer token: " + detail, *args)
    return Unauthenticated(message)
