"""The JWKS cache: rotation, rate-limited refetches, coalescing, and identity provider outages."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from gateway.auth import AuthUnavailable, Unauthenticated
from gateway.auth.jwks import FetchFailed, parse_jwks
from gateway.auth.jwt import JwtVerifier
from tests.auth.conftest import FakeClock
from tests.auth.idp import IdentityProvider, KeyPair
from tests.auth.test_jwt import bearer, verifier

REFRESH = 60


async def accepted(tokens: JwtVerifier, token: str) -> bool:
    try:
        await tokens.verify(bearer(token))
    except Unauthenticated:
        return False
    return True


async def test_keys_are_fetched_once_and_cached(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    tokens = verifier(idp, clock)
    for _ in range(5):
        assert await accepted(tokens, rsa_key.sign(idp.claims()))
        clock.advance(REFRESH)
    assert idp.jwks_fetches == 1


async def test_a_rotated_key_is_accepted_after_one_refetch(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair, rotated_rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    tokens = verifier(idp, clock)
    assert await accepted(tokens, rsa_key.sign(idp.claims()))
    clock.advance(REFRESH)
    idp.publish(rsa_key, rotated_rsa_key)
    assert await accepted(tokens, rotated_rsa_key.sign(idp.claims()))
    assert await accepted(tokens, rsa_key.sign(idp.claims()))
    assert idp.jwks_fetches == 2


async def test_refetches_for_unknown_kids_are_rate_limited(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    tokens = verifier(idp, clock)
    assert await accepted(tokens, rsa_key.sign(idp.claims()))
    clock.advance(REFRESH)
    strangers = [KeyPair(f"forged-{index}", "RS256", rsa_key.private_key) for index in range(20)]
    for stranger in strangers:
        assert not await accepted(tokens, stranger.sign(idp.claims()))
        clock.advance(1)
    assert idp.jwks_fetches == 2  # the first fetch, then one refetch for the first stranger
    clock.advance(REFRESH)
    assert not await accepted(tokens, strangers[0].sign(idp.claims()))
    assert idp.jwks_fetches == 3


async def test_a_key_rotated_in_while_rate_limited_is_accepted_once_the_interval_passed(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair, rotated_rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    tokens = verifier(idp, clock)
    assert await accepted(tokens, rsa_key.sign(idp.claims()))
    idp.publish(rsa_key, rotated_rsa_key)
    assert not await accepted(tokens, rotated_rsa_key.sign(idp.claims()))
    clock.advance(REFRESH)
    assert await accepted(tokens, rotated_rsa_key.sign(idp.claims()))


async def test_concurrent_unknown_kids_share_one_refetch(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair, rotated_rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    tokens = verifier(idp, clock)
    assert await accepted(tokens, rsa_key.sign(idp.claims()))
    clock.advance(REFRESH)
    idp.publish(rsa_key, rotated_rsa_key)
    idp.delay_seconds = 0.2
    token = rotated_rsa_key.sign(idp.claims())
    results = await asyncio.gather(*(accepted(tokens, token) for _ in range(20)))
    assert all(results)
    assert idp.jwks_fetches == 2


async def test_concurrent_first_requests_share_one_fetch(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    idp.delay_seconds = 0.2
    tokens = verifier(idp, clock, jwks_url=None)
    token = rsa_key.sign(idp.claims())
    assert all(await asyncio.gather(*(accepted(tokens, token) for _ in range(20))))
    assert (idp.discovery_fetches, idp.jwks_fetches) == (1, 1)


async def test_a_cancelled_request_does_not_cancel_the_shared_fetch(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    idp.delay_seconds = 0.2
    tokens = verifier(idp, clock)
    token = rsa_key.sign(idp.claims())
    impatient = asyncio.ensure_future(accepted(tokens, token))
    patient = asyncio.ensure_future(accepted(tokens, token))
    await asyncio.sleep(0.05)
    impatient.cancel()
    assert await patient
    assert idp.jwks_fetches == 1


async def test_cached_keys_keep_working_while_the_jwks_is_down(
    idp: IdentityProvider,
    clock: FakeClock,
    rsa_key: KeyPair,
    rotated_rsa_key: KeyPair,
    caplog: pytest.LogCaptureFixture,
) -> None:
    idp.publish(rsa_key)
    tokens = verifier(idp, clock)
    assert await accepted(tokens, rsa_key.sign(idp.claims()))
    idp.failing = True
    stranger = rotated_rsa_key.sign(idp.claims())
    with caplog.at_level(logging.WARNING, logger="gateway.auth.jwks"):
        for _ in range(10):
            clock.advance(REFRESH / 4)
            assert await accepted(tokens, rsa_key.sign(idp.claims()))
            assert not await accepted(tokens, stranger)
    # 150 s of unknown kids during the outage: a refetch at 60 s and at 120 s, no more.
    assert idp.jwks_fetches == 3
    assert "keeping the 1 keys already known" in caplog.text
    clock.advance(3600)  # even keys past their maximum age are kept while refreshes fail
    assert await accepted(tokens, rsa_key.sign(idp.claims()))
    idp.failing = False
    clock.advance(REFRESH)
    idp.publish(rsa_key, rotated_rsa_key)
    assert await accepted(tokens, stranger)


async def test_without_any_keys_yet_tokens_are_refused_as_unavailable(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair, caplog: pytest.LogCaptureFixture
) -> None:
    idp.publish(rsa_key)
    idp.failing = True
    tokens = verifier(idp, clock)
    token = rsa_key.sign(idp.claims())
    with pytest.raises(AuthUnavailable) as raised:
        await tokens.verify(bearer(token))
    assert raised.value.status_code == 503
    assert raised.value.code == "UPSTREAM_UNAVAILABLE"
    assert raised.value.headers() == {"Retry-After": "60"}
    assert "tokens are refused until then" in caplog.text
    clock.advance(REFRESH / 2)
    with pytest.raises(AuthUnavailable) as raised:
        await tokens.verify(bearer(token))
    assert raised.value.headers() == {"Retry-After": "30"}
    assert idp.jwks_fetches == 1
    idp.failing = False
    clock.advance(REFRESH / 2)
    assert await accepted(tokens, token)
    assert idp.jwks_fetches == 2


async def test_a_timeout_counts_as_a_failed_fetch(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    idp.delay_seconds = 1.0
    tokens = verifier(idp, clock, timeout_seconds=0.2)
    with pytest.raises(AuthUnavailable):
        await tokens.verify(bearer(rsa_key.sign(idp.claims())))


async def test_a_discovery_document_of_another_issuer_is_not_trusted(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    idp.discovery_issuer = "https://evil.example.com"
    tokens = verifier(idp, clock, jwks_url=None)
    with pytest.raises(AuthUnavailable):
        await tokens.verify(bearer(rsa_key.sign(idp.claims())))
    assert idp.jwks_fetches == 0


async def test_a_key_withdrawn_from_the_jwks_stops_working_after_the_maximum_age(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair, rotated_rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key, rotated_rsa_key)
    tokens = verifier(idp, clock, jwks_max_age_seconds=600)
    assert await accepted(tokens, rsa_key.sign(idp.claims()))
    idp.publish(rotated_rsa_key)
    clock.advance(599)
    assert await accepted(tokens, rsa_key.sign(idp.claims()))
    assert idp.jwks_fetches == 1
    clock.advance(1)
    await until_withdrawn(tokens, rsa_key.sign(idp.claims()))
    assert await accepted(tokens, rotated_rsa_key.sign(idp.claims()))
    assert idp.jwks_fetches == 2


async def test_keys_past_their_maximum_age_are_refreshed_without_making_requests_wait(
    idp: IdentityProvider, clock: FakeClock, rsa_key: KeyPair, rotated_rsa_key: KeyPair
) -> None:
    idp.publish(rsa_key)
    tokens = verifier(idp, clock, jwks_max_age_seconds=600)
    assert await accepted(tokens, rsa_key.sign(idp.claims()))
    idp.publish(rotated_rsa_key)
    idp.delay_seconds = 0.5
    clock.advance(600)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await accepted(tokens, rsa_key.sign(idp.claims()))
    assert loop.time() - started < 0.25
    await until_withdrawn(tokens, rsa_key.sign(idp.claims()))


async def until_withdrawn(tokens: JwtVerifier, token: str) -> None:
    """Wait (up to 3 s) for a background refresh to withdraw the key of ``token``."""
    for _ in range(300):
        if not await accepted(tokens, token):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the key was not withdrawn")


def jwks(*keys: object) -> dict[str, Any]:
    return {"keys": list(keys)}


def test_only_public_signing_keys_are_kept(rsa_key: KeyPair, ec_key: KeyPair) -> None:
    secret = {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}
    weak = KeyPair.rsa("weak", bits=1024)
    keys = parse_jwks(
        jwks(
            secret,
            rsa_key.jwk(use="enc", kid="enc"),
            rsa_key.jwk(key_ops=["encrypt"], kid="ops"),
            rsa_key.jwk(alg="HS256", kid="hs"),
            weak.jwk(),
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            {"kty": "RSA", "kid": 7},
            "not a key",
            rsa_key.jwk(),
            ec_key.jwk(),
        )
    )
    assert [key.kid for key in keys] == ["rsa-1", "ec-1"]


def test_private_members_of_a_published_key_are_ignored(rsa_key: KeyPair) -> None:
    private = rsa_key.private_key
    assert isinstance(private, RSAPrivateKey)
    numbers = private.private_numbers()
    leaked = rsa_key.jwk(d=str(numbers.d), p=str(numbers.p))
    (key,) = parse_jwks(jwks(leaked))
    assert isinstance(key.public_key, RSAPublicKey)


@pytest.mark.parametrize("document", [[], {}, {"keys": "x"}, jwks({"kty": "oct", "k": "AA"})])
def test_a_document_without_usable_keys_is_a_failed_fetch(document: object) -> None:
    with pytest.raises(FetchFailed):
        parse_jwks(document)
