"""One entry point per request, whatever the mode."""

from __future__ import annotations

import logging

import pytest
from starlette.datastructures import Headers

from gateway.auth import (
    ANONYMOUS,
    AuthError,
    Unauthenticated,
    build_authenticator,
    build_policy,
)
from tests.auth.idp import AUDIENCE, IdentityProvider, KeyPair


async def test_mode_none_lets_everyone_in_anonymously(caplog: pytest.LogCaptureFixture) -> None:
    authenticator = build_authenticator("none")
    assert "Authentication is off" in caplog.text
    assert await authenticator.authenticate(None, {}) is ANONYMOUS
    assert await authenticator.authenticate("203.0.113.9", {"Authorization": "x"}) is ANONYMOUS
    assert build_policy("none").for_caller(ANONYMOUS).scope == "all"


def test_mode_none_refuses_a_policy() -> None:
    with pytest.raises(ValueError, match="needs authenticated callers"):
        build_policy("none", "groups", '{"admins": ["*"]}')


async def test_mode_jwt_reads_the_authorization_header(
    idp: IdentityProvider, rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    authenticator = build_authenticator(
        "jwt",
        jwt_issuer=idp.issuer,
        jwt_audience=AUDIENCE,
        jwt_jwks_url=None,
        jwt_algorithms=["RS256"],
        jwt_leeway_seconds=10,
        jwt_jwks_refresh_seconds=30,
    )
    token = rsa_key.sign(idp.claims())
    for headers in ({"authorization": f"Bearer {token}"}, {"AUTHORIZATION": f"Bearer {token}"}):
        assert (await authenticator.authenticate("203.0.113.9", headers)).subject == "alice"
    twice = Headers(raw=[(b"authorization", f"Bearer {token}".encode())] * 2)
    with pytest.raises(Unauthenticated, match="one Authorization header"):
        await authenticator.authenticate(None, twice)
    with pytest.raises(AuthError) as raised:
        await authenticator.authenticate(None, {})
    assert raised.value.status_code == 401
    assert raised.value.headers() == {"WWW-Authenticate": 'Bearer realm="autopilot-gateway"'}
    policy = build_policy("jwt", "groups", {"ml-team": ["churn-*"]})
    caller = await authenticator.authenticate(None, {"authorization": f"Bearer {token}"})
    assert policy.for_caller(caller).allows("churn-xgb")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "issuer is required"),
        ({"jwt_issuer": "https://idp.example.com"}, "audience is required"),
        (
            {
                "jwt_issuer": "https://idp.example.com",
                "jwt_audience": "a",
                "jwt_algorithms": "HS256",
            },
            "HMAC",
        ),
    ],
)
def test_mode_jwt_refuses_incomplete_settings(options: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_authenticator("jwt", **options)  # type: ignore[arg-type]


async def test_mode_proxy_checks_the_peer(caplog: pytest.LogCaptureFixture) -> None:
    authenticator = build_authenticator("proxy", trusted_proxies=["10.1.0.0/16"])
    headers = {"X-Auth-Request-User": "alice", "X-Auth-Request-Groups": "ml-team"}
    assert (await authenticator.authenticate("10.1.2.3", headers)).subject == "alice"
    with caplog.at_level(logging.WARNING), pytest.raises(Unauthenticated):
        await authenticator.authenticate("10.2.0.1", headers)


def test_mode_proxy_needs_trusted_proxies() -> None:
    with pytest.raises(ValueError, match="trusted proxies"):
        build_authenticator("proxy")


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown auth mode 'oidc'"):
        build_authenticator("oidc")  # type: ignore[arg-type]
