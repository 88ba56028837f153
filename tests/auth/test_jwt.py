"""Bearer tokens: what is accepted, and every way a token is refused with a 401 challenge."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from gateway.auth import Caller, Unauthenticated
from gateway.auth.jwt import JwtVerifier
from tests.auth.conftest import FakeClock
from tests.auth.idp import AUDIENCE, IdentityProvider, KeyPair, hs256, unsigned


def verifier(idp: IdentityProvider, clock: FakeClock, **options: Any) -> JwtVerifier:
    settings: dict[str, Any] = {
        "issuer": idp.issuer,
        "audience": AUDIENCE,
        "jwks_url": idp.jwks_url,
        "leeway_seconds": 30,
        "jwks_refresh_seconds": 60,
        "clock": clock,
    }
    settings.update(options)
    return JwtVerifier(**settings)


async def refused(verifier: JwtVerifier, header: str | None) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as raised:
        await verifier.verify(header)
    error = raised.value
    assert error.code == "UNAUTHENTICATED"
    assert error.status_code == 401
    assert error.headers()["WWW-Authenticate"].startswith('Bearer realm="autopilot-gateway"')
    return error


def bearer(token: str) -> str:
    return f"Bearer {token}"


@pytest.mark.parametrize("discovery", [False, True], ids=["jwks_url", "discovery"])
@pytest.mark.parametrize("key_name", ["rsa_key", "ec_key"])
async def test_a_valid_token_is_accepted(
    idp: IdentityProvider,
    clock: FakeClock,
    key_name: str,
    discovery: bool,
    request: pytest.FixtureRequest,
) -> None:
    key: KeyPair = request.getfixturevalue(key_name)
    idp.publish(key)
    tokens = verifier(idp, clock, jwks_url=None if discovery else idp.jwks_url)
    caller = await tokens.verify(bearer(key.sign(idp.claims())))
    assert caller.subject == "alice"
    assert caller.authenticated
    assert caller.claims["groups"] == ["ml-team"]
    assert idp.discovery_fetches == int(discovery)
    assert idp.jwks_fetches == 1


async def test_the_scheme_is_case_insensitive_and_aud_may_be_a_list(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    tokens = verifier(idp, clock)
    token = rsa_key.sign(idp.claims(aud=["another-api", AUDIENCE]))
    assert (await tokens.verify(f"bearer {token}")).subject == "alice"


async def test_any_of_several_configured_audiences_is_accepted(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    tokens = verifier(idp, clock, audience=["gateway-a", "gateway-b"])
    assert await tokens.verify(bearer(rsa_key.sign(idp.claims(aud="gateway-b"))))
    await refused(tokens, bearer(rsa_key.sign(idp.claims())))


async def test_other_configured_families_are_accepted(
    idp: IdentityProvider, clock: FakeClock
) -> None:
    pss, edwards = KeyPair.rsa("pss-1", alg="PS256"), KeyPair.ed25519("ed-1")
    idp.publish(pss, edwards)
    tokens = verifier(idp, clock, algorithms=["PS256", "EdDSA"])
    assert await tokens.verify(bearer(pss.sign(idp.claims())))
    assert await tokens.verify(bearer(edwards.sign(idp.claims())))


@pytest.mark.parametrize(
    "header",
    [None, "", "   ", "Bearer", "Bearer   "],
    ids=["absent", "empty", "blank", "no-token", "blank-token"],
)
async def test_missing_credentials_get_a_challenge_without_error(
    idp: IdentityProvider, clock: FakeClock, header: str | None
) -> None:
    error = await refused(verifier(idp, clock), header)
    assert error.error is None
    assert error.www_authenticate == 'Bearer realm="autopilot-gateway"'
    assert "Authorization: Bearer <token>" in error.message
    assert idp.jwks_fetches == 0


async def test_another_scheme_gets_a_challenge_without_error(
    idp: IdentityProvider, clock: FakeClock
) -> None:
    error = await refused(verifier(idp, clock), "Basic YWxpY2U6c2VjcmV0")
    assert error.error is None
    assert "Only bearer tokens" in error.message


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer two tokens",
        'Bearer "quoted"',
        "Bearer " + "a" * 20_000,
    ],
    ids=["garbage", "bad-parts", "two-tokens", "quotes", "too-long"],
)
async def test_a_malformed_token_is_refused(
    idp: IdentityProvider, clock: FakeClock, header: str
) -> None:
    error = await refused(verifier(idp, clock), header)
    assert error.error == "invalid_token"
    assert error.message == "The bearer token is malformed: send a signed JWT."
    assert 'error="invalid_token"' in error.www_authenticate
    assert idp.jwks_fetches == 0


async def test_alg_none_is_refused_before_any_key_lookup(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    error = await refused(verifier(idp, clock), bearer(unsigned(idp.claims(), rsa_key.kid)))
    assert error.message == "The token's signing algorithm is not accepted."
    assert idp.jwks_fetches == 0


async def test_hs256_signed_with_the_rsa_public_key_is_refused(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    public_pem = rsa_key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = hs256(idp.claims(sub="admin"), public_pem, rsa_key.kid)
    error = await refused(verifier(idp, clock), bearer(forged))
    assert error.message == "The token's signing algorithm is not accepted."
    assert idp.jwks_fetches == 0


async def test_an_allowed_algorithm_outside_the_allowlist_is_refused(
    idp: IdentityProvider, clock: FakeClock, ec_key: KeyPair
) -> None:
    idp.publish(ec_key)
    tokens = verifier(idp, clock, algorithms=["RS256"])
    error = await refused(tokens, bearer(ec_key.sign(idp.claims())))
    assert error.message == "The token's signing algorithm is not accepted."


async def test_a_key_is_used_only_for_algorithms_it_fits(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair, ec_key: KeyPair
) -> None:
    """An ES256 token naming the RSA key's kid finds no key: RSA keys do not verify ES256."""
    idp.publish(rsa_key, ec_key)
    relabelled = KeyPair(rsa_key.kid, "ES256", ec_key.private_key)
    error = await refused(verifier(idp, clock), bearer(relabelled.sign(idp.claims())))
    assert error.message == "The token was signed with a key this gateway does not know."


async def test_a_key_published_with_an_alg_verifies_only_that_alg(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair
) -> None:
    idp.keys = [rsa_key.jwk(alg="RS256")]
    tokens = verifier(idp, clock, algorithms=["RS256", "PS256"])
    as_pss = KeyPair(rsa_key.kid, "PS256", rsa_key.private_key)
    await refused(tokens, bearer(as_pss.sign(idp.claims())))
    assert await tokens.verify(bearer(rsa_key.sign(idp.claims())))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"iss": "https://evil.example.com"}, "The token comes from an issuer"),
        ({"aud": "another-api"}, "The token is not meant for this gateway (wrong audience)."),
        ({"exp": -60}, "The token has expired."),
        ({"nbf": 120}, "The token is not valid yet."),
        ({"iat": 120}, "The token is not valid yet."),
        ({"sub": None}, "The token lacks the required `sub` claim."),
        ({"sub": ""}, "The token lacks the required `sub` claim."),
        ({"exp": None}, "The token lacks the required `exp` claim."),
        ({"aud": None}, "The token lacks the required `aud` claim."),
        ({"iss": None}, "The token lacks the required `iss` claim."),
        ({"sub": 42}, "The token is invalid."),
    ],
    ids=[
        "wrong-iss",
        "wrong-aud",
        "expired",
        "nbf-future",
        "iat-future",
        "no-sub",
        "empty-sub",
        "no-exp",
        "no-aud",
        "no-iss",
        "sub-not-string",
    ],
)
async def test_a_token_with_bad_claims_is_refused(
    idp: IdentityProvider,
    clock: FakeClock,
    rsa_key: KeyPair,
    overrides: dict[str, Any],
    message: str,
) -> None:
    idp.publish(rsa_key)
    now = int(time.time())
    times = {
        name: now + value
        for name, value in overrides.items()
        if name in {"exp", "nbf", "iat"} and value is not None
    }
    token = rsa_key.sign(idp.claims(**{**overrides, **times}))
    error = await refused(verifier(idp, clock), bearer(token))
    assert error.message.startswith(message)
    assert error.error == "invalid_token"
    assert f'error_description="{error.message}"' in error.www_authenticate
    assert token not in error.message and token not in error.www_authenticate


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
async def test_times_within_the_leeway_are_accepted(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair, claim: str
) -> None:
    idp.publish(rsa_key)
    now = int(time.time())
    skewed = now - 10 if claim == "exp" else now + 10
    token = rsa_key.sign(idp.claims(**{claim: skewed}))
    assert await verifier(idp, clock).verify(bearer(token))
    await refused(verifier(idp, clock, leeway_seconds=0), bearer(token))


async def test_a_token_signed_by_another_key_with_the_same_kid_is_refused(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair, impostor_rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    tokens = verifier(idp, clock)
    error = await refused(tokens, bearer(impostor_rsa_key.sign(idp.claims())))
    assert error.message == "The token's signature is invalid."


async def test_a_tampered_token_is_refused(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    header, _, signature = rsa_key.sign(idp.claims()).split(".")
    other_body = rsa_key.sign(idp.claims(sub="admin")).split(".")[1]
    error = await refused(verifier(idp, clock), bearer(f"{header}.{other_body}.{signature}"))
    assert error.message == "The token's signature is invalid."


async def test_an_unknown_kid_is_refused(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair, rotated_rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    error = await refused(verifier(idp, clock), bearer(rotated_rsa_key.sign(idp.claims())))
    assert error.message == "The token was signed with a key this gateway does not know."


async def test_a_token_without_kid_is_matched_only_to_a_single_fitting_key(
    idp: IdentityProvider,
    clock: FakeClock,
    rsa_key: KeyPair,
    rotated_rsa_key: KeyPair,
    ec_key: KeyPair,
) -> None:
    idp.publish(rsa_key, ec_key)
    tokens = verifier(idp, clock)
    assert await tokens.verify(bearer(rsa_key.sign(idp.claims(), kid=None)))
    idp.publish(rsa_key, rotated_rsa_key)
    tokens = verifier(idp, clock)
    await refused(tokens, bearer(rsa_key.sign(idp.claims(), kid=None)))


async def test_an_unsupported_critical_header_is_refused(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    token = rsa_key.sign(idp.claims(), crit=["exp-ext"], **{"exp-ext": 1})
    await refused(verifier(idp, clock), bearer(token))


async def test_the_caller_carries_the_verified_claims_read_only(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    caller = await verifier(idp, clock).verify(bearer(rsa_key.sign(idp.claims())))
    assert isinstance(caller, Caller)
    assert caller.claims["iss"] == idp.issuer
    with pytest.raises(TypeError):
        caller.claims["sub"] = "admin"  # type: ignore[index]
    assert "ml-team" not in repr(caller)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"algorithms": ["HS256"]}, "HMAC"),
        ({"algorithms": ["RS256", "hs512"]}, "HMAC"),
        ({"algorithms": ["none"]}, "'none' is never accepted"),
        ({"algorithms": ["RS256", "None"]}, "'none' is never accepted"),
        ({"algorithms": ["XS256"]}, "unknown JWT algorithm 'XS256'; supported: ES256, ES384"),
        ({"algorithms": []}, "at least one"),
        ({"algorithms": "RS256, HS256"}, "HMAC"),
        ({"issuer": ""}, "issuer is required"),
        ({"audience": []}, "audience is required"),
        ({"leeway_seconds": -1}, "leeway"),
        ({"leeway_seconds": 3600}, "leeway"),
        ({"jwks_refresh_seconds": 0}, "refresh interval"),
        ({"jwks_url": "ftp://idp.example.com/jwks"}, "http(s) URL"),
    ],
)
def test_unsafe_or_incomplete_configuration_is_refused(
    idp: IdentityProvider, clock: FakeClock, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        verifier(idp, clock, **options)


def test_algorithms_may_be_a_comma_separated_string(
    idp: IdentityProvider, clock: FakeClock
) -> None:
    tokens = verifier(idp, clock, algorithms="RS256, ES256,PS256")
    assert tokens.algorithms == ("RS256", "ES256", "PS256")


def test_plain_http_beyond_this_host_is_warned_about(
    idp: IdentityProvider, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    verifier(idp, clock, jwks_url="http://idp.example.com/jwks.json")
    assert "plain HTTP" in caplog.text
    caplog.clear()
    verifier(idp, clock, jwks_url="https://idp.example.com/jwks.json")
    verifier(idp, clock)
    assert "plain HTTP" not in caplog.text
