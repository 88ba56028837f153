from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auth.idp import IdentityProvider, KeyPair, running_identity_provider


class FakeClock:
    """A monotonic clock the test moves: JWKS rate limits without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def idp_server() -> Iterator[IdentityProvider]:
    with running_identity_provider() as idp:
        yield idp


@pytest.fixture
def idp(idp_server: IdentityProvider) -> IdentityProvider:
    """The identity provider, publishing nothing and counting from zero."""
    idp_server.reset()
    return idp_server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def rsa_key() -> KeyPair:
    return KeyPair.rsa("rsa-1")


@pytest.fixture(scope="session")
def rotated_rsa_key() -> KeyPair:
    return KeyPair.rsa("rsa-2")


@pytest.fixture(scope="session")
def impostor_rsa_key() -> KeyPair:
    """Another RSA key that claims the same kid as ``rsa_key``."""
    return KeyPair.rsa("rsa-1")


@pytest.fixture(scope="session")
def ec_key() -> KeyPair:
    return KeyPair.ec("ec-1")
