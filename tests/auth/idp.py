"""A local identity provider for the tests: signing keys, tokens, and a JWKS server.

The server runs on a free loopback port in a thread and serves OpenID Connect discovery and
the JWKS, with switches to change the keys, to fail with HTTP 500 and to answer slowly; it
counts what it served.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

AUDIENCE = "autopilot-gateway"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class KeyPair:
    kid: str
    alg: str
    private_key: PrivateKey

    @classmethod
    def rsa(cls, kid: str, alg: str = "RS256", bits: int = 2048) -> KeyPair:
        return cls(kid, alg, rsa.generate_private_key(public_exponent=65537, key_size=bits))

    @classmethod
    def ec(cls, kid: str) -> KeyPair:
        return cls(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def ed25519(cls, kid: str) -> KeyPair:
        return cls(kid, "EdDSA", ed25519.Ed25519PrivateKey.generate())

    def jwk(self, **members: Any) -> dict[str, Any]:
        """The public JWK, as an identity provider publishes it."""
        public = self.private_key.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            key = RSAAlgorithm.to_jwk(public, as_dict=True)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            key = ECAlgorithm.to_jwk(public, as_dict=True)
        else:
            key = OKPAlgorithm.to_jwk(public, as_dict=True)
        return {**key, "kid": self.kid, "use": "sig", **members}

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        headers = {name: value for name, value in {"kid": self.kid, **header}.items() if value}
        return jwt.encode(claims, self.private_key, algorithm=self.alg, headers=headers)


def hs256(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """A token "signed" with HMAC-SHA256 under ``secret``, made by hand: PyJWT refuses to."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(signature)}"


def unsigned(claims: dict[str, Any], kid: str) -> str:
    """A token with ``alg: none`` and no signature."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass
class IdentityProvider:
    """What the JWKS server serves and has served; tests change it between requests."""

    base_url: str = ""
    keys: list[dict[str, Any]] = field(default_factory=list)
    failing: bool = False
    delay_seconds: float = 0.0
    discovery_issuer: str | None = None  # the issuer the discovery document claims
    jwks_fetches: int = 0
    discovery_fetches: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def issuer(self) -> str:
        return self.base_url

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/jwks.json"

    def publish(self, *pairs: KeyPair) -> None:
        self.keys = [pair.jwk() for pair in pairs]

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "alice",
            "iat": now,
            "exp": now + 300,
            "groups": ["ml-team"],
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def reset(self) -> None:
        self.keys, self.failing, self.delay_seconds = [], False, 0.0
        self.discovery_issuer = None
        self.jwks_fetches = self.discovery_fetches = 0


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        idp = self.server.idp
        with idp.lock:
            if self.path == "/.well-known/openid-configuration":
                idp.discovery_fetches += 1
                issuer = idp.discovery_issuer or idp.issuer
                body: object = {"issuer": issuer, "jwks_uri": idp.jwks_url}
            elif self.path == "/jwks.json":
                idp.jwks_fetches += 1
                body = {"keys": list(idp.keys)}
            else:
                self.send_error(404)
                return
            failing, delay = idp.failing, idp.delay_seconds
        time.sleep(delay)
        if failing:
            self.send_error(500)
            return
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, idp: IdentityProvider) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.idp = idp


@contextmanager
def running_identity_provider() -> Iterator[IdentityProvider]:
    idp = IdentityProvider()
    server = _Server(idp)
    idp.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield idp
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
