"""The identity provider's signing keys (its JWKS), fetched lazily and refreshed sparingly.

Every fetch is rate-limited: at most one attempt per ``refresh_seconds``, whatever asked for
it (the first token, a token with an unknown ``kid``, or keys older than
``max_age_seconds``), and concurrent requests share the attempt in flight. So a stream of
forged ``kid``s costs the identity provider one request per interval, not one per token.
Requests wait for a fetch only when it may give them their key (the first fetch, an unknown
``kid``); keys past their maximum age are refreshed in the background while still in use.

A failed fetch logs a warning and keeps the keys already known: an identity provider outage
does not sign anybody out. Only a gateway that has never obtained any keys refuses tokens it
cannot check, with :class:`AuthUnavailable` (HTTP 503) rather than a 401.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from gateway.auth.errors import AuthUnavailable

logger = logging.getLogger(__name__)

PublicKey = RSAPublicKey | EllipticCurvePublicKey | Ed25519PublicKey | Ed448PublicKey

RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
OKP_CURVES = {"EdDSA": frozenset({"Ed25519", "Ed448"})}
SUPPORTED_ALGORITHMS = frozenset(RSA_ALGORITHMS | EC_CURVES.keys() | OKP_CURVES.keys())

MIN_RSA_BITS = 2048
MAX_KEYS = 100
MAX_DOCUMENT_BYTES = 1 << 20


@dataclass(frozen=True)
class SigningKey:
    """One public key of the JWKS, with what decides which algorithms it may verify."""

    kid: str | None
    kty: str
    curve: str | None
    alg: str | None
    public_key: PublicKey

    def fits(self, alg: str) -> bool:
        """Whether a token signed with ``alg`` may be verified with this key."""
        if self.alg is not None and self.alg != alg:
            return False
        if self.kty == "RSA":
            return alg in RSA_ALGORITHMS
        if self.kty == "EC":
            return EC_CURVES.get(alg) == self.curve
        if self.kty == "OKP":
            return self.curve in OKP_CURVES.get(alg, ())
        return False


class FetchFailed(Exception):
    """The JWKS (or the discovery document) could not be fetched or made no sense."""


def parse_jwks(document: object) -> tuple[SigningKey, ...]:
    """The usable signing keys of a JWKS document.

    Keys for encryption, symmetric keys, private members, RSA keys under 2048 bits and keys
    that do not parse are left out: none of them may ever verify a token.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise FetchFailed("the document is not a JWKS (no `keys` list)")
    keys = []
    for jwk in document["keys"][:MAX_KEYS]:
        key = _signing_key(jwk)
        if key is not None:
            keys.append(key)
    if not keys:
        raise FetchFailed("the JWKS has no usable signing key")
    return tuple(keys)


def _signing_key(jwk: object) -> SigningKey | None:
    if not isinstance(jwk, dict):
        return None
    kid, alg, use, ops = jwk.get("kid"), jwk.get("alg"), jwk.get("use"), jwk.get("key_ops")
    if (kid is not None and not isinstance(kid, str)) or (
        alg is not None and alg not in SUPPORTED_ALGORITHMS
    ):
        return None
    if use not in (None, "sig") or (
        ops is not None and (not isinstance(ops, list) or "verify" not in ops)
    ):
        return None
    kty, curve = jwk.get("kty"), jwk.get("crv")
    try:
        public_key = _public_key(jwk)
    except Exception:  # PyJWT raises several kinds on malformed members
        logger.debug("Ignoring a JWKS key that does not parse (kid %r).", kid)
        return None
    if public_key is None:
        return None
    if isinstance(public_key, RSAPublicKey) and public_key.key_size < MIN_RSA_BITS:
        logger.warning("Ignoring JWKS key %r: RSA keys under %d bits.", kid, MIN_RSA_BITS)
        return None
    return SigningKey(
        kid=kid,
        kty=str(kty),
        curve=curve if isinstance(curve, str) else None,
        alg=alg,
        public_key=public_key,
    )


def _public_key(jwk: Mapping[str, Any]) -> PublicKey | None:
    """The key of the public members only, so a leaked private member is never used."""
    kty = jwk.get("kty")
    if kty == "RSA":
        key: object = RSAAlgorithm.from_jwk({"kty": "RSA", "n": jwk["n"], "e": jwk["e"]})
    elif kty == "EC":
        members = {name: jwk[name] for name in ("crv", "x", "y")}
        key = ECAlgorithm.from_jwk({"kty": "EC", **members})
    elif kty == "OKP":
        key = OKPAlgorithm.from_jwk({"kty": "OKP", "crv": jwk["crv"], "x": jwk["x"]})
    else:
        return None  # "oct" (a shared secret) above all: never verify with one from a JWKS
    if isinstance(key, RSAPublicKey | EllipticCurvePublicKey | Ed25519PublicKey | Ed448PublicKey):
        return key
    return None


def discovery_url(issuer: str) -> str:
    """Where OpenID Connect Discovery says an issuer's configuration is."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def check_url(url: str, what: str) -> None:
    """Refuse URLs that cannot work; warn about plain HTTP beyond this host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must be an http(s) URL, got {url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        logger.warning(
            "%s %s is plain HTTP: whoever can alter that traffic can sign tokens the gateway "
            "accepts. Use HTTPS.",
            what,
            url,
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Jwks:
    """The keys of one identity provider: from ``jwks_url``, or discovered from ``issuer``."""

    def __init__(
        self,
        *,
        jwks_url: str | None,
        issuer: str,
        refresh_seconds: float,
        max_age_seconds: float = 3600.0,
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if refresh_seconds <= 0:
            raise ValueError("the JWKS refresh interval must be positive")
        if max_age_seconds < refresh_seconds:
            raise ValueError("the JWKS maximum age must be at least its refresh interval")
        if timeout_seconds <= 0:
            raise ValueError("the JWKS timeout must be positive")
        if jwks_url is not None:
            check_url(jwks_url, "The JWKS URL")
        else:
            check_url(discovery_url(issuer), "The issuer's discovery URL")
        self._jwks_url = jwks_url
        self._issuer = issuer
        self._refresh_seconds = refresh_seconds
        self._max_age_seconds = max_age_seconds
        self._timeout_seconds = timeout_seconds
        self._clock = clock
        self._keys: tuple[SigningKey, ...] | None = None
        self._loaded_at: float | None = None
        self._attempted_at: float | None = None
        self._in_flight: asyncio.Task[None] | None = None

    async def keys_for(self, kid: str | None, alg: str) -> list[SigningKey]:
        """The keys that may have signed a token with this header; empty when none is known.

        A token without ``kid`` is matched only when exactly one key fits its algorithm.
        Raises :class:`AuthUnavailable` while no JWKS was ever fetched.
        """
        if self._keys is None:
            await self._refresh_if_allowed()
        elif self._is_stale():
            self._start_refresh_if_allowed()  # in the background: the known keys serve meanwhile
        found = self._find(kid, alg)
        if not found and self._keys is not None:  # perhaps the provider rotated its keys
            await self._refresh_if_allowed()
            found = self._find(kid, alg)
        if self._keys is None:
            raise AuthUnavailable(self._seconds_until_next_attempt())
        return found

    def _find(self, kid: str | None, alg: str) -> list[SigningKey]:
        fitting = [key for key in self._keys or () if key.fits(alg)]
        if kid is None:
            return fitting if len(fitting) == 1 else []
        return [key for key in fitting if key.kid == kid]

    def _is_stale(self) -> bool:
        return self._loaded_at is not None and (
            self._clock() - self._loaded_at >= self._max_age_seconds
        )

    def _seconds_until_next_attempt(self) -> float:
        if self._attempted_at is None:
            return 0.0
        return self._attempted_at + self._refresh_seconds - self._clock()

    async def _refresh_if_allowed(self) -> None:
        """Wait for the fetch in flight, or for a new one unless the last one is too recent."""
        in_flight = self._start_refresh_if_allowed()
        if in_flight is not None:
            # Shielded: a request that is cancelled does not cancel the fetch for the others.
            await asyncio.shield(in_flight)

    def _start_refresh_if_allowed(self) -> asyncio.Task[None] | None:
        """The fetch in flight, or a new one unless the last one is too recent."""
        if self._in_flight is None:
            if self._attempted_at is not None and self._seconds_until_next_attempt() > 0:
                return None
            self._attempted_at = self._clock()
            self._in_flight = asyncio.ensure_future(self._refresh())
            self._in_flight.add_done_callback(self._finished)
        return self._in_flight

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight = None
        if not task.cancelled():
            task.exception()  # retrieved, in case every waiter was cancelled

    async def _refresh(self) -> None:
        try:
            async with asyncio.timeout(self._timeout_seconds):
                keys = await self._fetch()
        except Exception as error:  # whatever went wrong, the known keys stay in service
            reason = _describe(error)
            if self._keys is None:
                logger.warning(
                    "Could not fetch the JWKS (%s); tokens are refused until then.", reason
                )
            else:
                logger.warning(
                    "Could not refresh the JWKS (%s); keeping the %d keys already known.",
                    reason,
                    len(self._keys),
                )
            return
        self._keys = keys
        self._loaded_at = self._clock()
        logger.info("Loaded %d signing keys from the JWKS.", len(keys))

    async def _fetch(self) -> tuple[SigningKey, ...]:
        timeout = httpx.Timeout(self._timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            jwks_url = self._jwks_url
            if jwks_url is None:
                jwks_url = await self._discover(client)
            return parse_jwks(await _get_json(client, jwks_url))

    async def _discover(self, client: httpx.AsyncClient) -> str:
        configuration = await _get_json(client, discovery_url(self._issuer))
        if not isinstance(configuration, dict):
            raise FetchFailed("the discovery document is not a JSON object")
        named = configuration.get("issuer")
        if named != self._issuer:
            # OpenID Connect Discovery 1.0, section 4.3: it must be exactly the issuer.
            raise FetchFailed(f"the discovery document is for issuer {named!r}, not this one")
        jwks_uri = configuration.get("jwks_uri")
        if not isinstance(jwks_uri, str) or urlsplit(jwks_uri).scheme not in ("http", "https"):
            raise FetchFailed("the discovery document has no http(s) jwks_uri")
        return jwks_uri


def _describe(error: Exception) -> str:
    if isinstance(error, FetchFailed):
        return str(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


async def _get_json(client: httpx.AsyncClient, url: str) -> object:
    """The JSON document at ``url``; at most 1 MiB, so a broken endpoint cannot exhaust memory."""
    headers = {"Accept": "application/json"}
    async with client.stream("GET", url, headers=headers) as response:
        if response.status_code != 200:
            raise FetchFailed(f"HTTP {response.status_code} from {url}")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_DOCUMENT_BYTES:
                raise FetchFailed(f"the document at {url} is larger than 1 MiB")
    try:
        document: object = json.loads(body)
    except ValueError:
        raise FetchFailed(f"the document at {url} is not JSON") from None
    return document
