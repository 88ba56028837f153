"""Identity headers count only when a trusted proxy is the direct peer."""

from __future__ import annotations

import logging

import pytest
from starlette.datastructures import Headers

from gateway.auth import FORWARDED_HEADERS, ProxyHeaders, ProxyIdentity, Unauthenticated

IDENTITY = {
    "X-Auth-Request-User": "alice",
    "X-Auth-Request-Email": "alice@example.com",
    "X-Auth-Request-Groups": "ml-team, analysts,,",
}
PROXIES = ["10.0.0.0/24", "192.168.1.7", "fd00:1::/64", "::1"]


@pytest.fixture
def proxy() -> ProxyIdentity:
    return ProxyIdentity(PROXIES)


@pytest.mark.parametrize(
    "peer",
    ["10.0.0.1", "10.0.0.255", "192.168.1.7", "fd00:1::42", "::1", "[::1]", "::ffff:10.0.0.9"],
)
def test_identity_from_a_trusted_proxy_is_accepted(proxy: ProxyIdentity, peer: str) -> None:
    caller = proxy.identify(peer, IDENTITY)
    assert caller.subject == "alice"
    assert caller.authenticated
    assert dict(caller.claims) == {
        "sub": "alice",
        "email": "alice@example.com",
        "groups": ["ml-team", "analysts"],
    }


@pytest.mark.parametrize(
    "peer",
    ["10.0.1.1", "192.168.1.8", "127.0.0.1", "fd00:2::1", "::2", "::ffff:192.168.1.8", "", None],
)
def test_identity_from_any_other_peer_is_refused(
    proxy: ProxyIdentity, peer: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), pytest.raises(Unauthenticated) as raised:
        proxy.identify(peer, IDENTITY)
    assert raised.value.message == "Requests must come through the authenticating proxy."
    assert raised.value.www_authenticate == 'Bearer realm="autopilot-gateway"'
    assert "not a trusted proxy" in caplog.text


def test_a_unix_socket_peer_is_not_trusted(proxy: ProxyIdentity) -> None:
    with pytest.raises(Unauthenticated):
        proxy.identify("/run/gateway.sock", IDENTITY)


def test_an_untrusted_peer_without_identity_headers_is_refused_quietly(
    proxy: ProxyIdentity, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), pytest.raises(Unauthenticated):
        proxy.identify("203.0.113.9", {"Accept": "application/json"})
    assert caplog.text == ""


@pytest.mark.parametrize("user", [None, "", "   "])
def test_a_trusted_proxy_must_name_the_user(proxy: ProxyIdentity, user: str | None) -> None:
    headers = {name: value for name, value in IDENTITY.items() if name != "X-Auth-Request-User"}
    if user is not None:
        headers["X-Auth-Request-User"] = user
    with pytest.raises(Unauthenticated, match="did not identify the caller"):
        proxy.identify("10.0.0.1", headers)


def test_email_and_groups_are_optional(proxy: ProxyIdentity) -> None:
    caller = proxy.identify("10.0.0.1", {"x-auth-request-user": "bob"})
    assert dict(caller.claims) == {"sub": "bob", "groups": []}


def test_a_repeated_identity_header_is_refused(proxy: ProxyIdentity) -> None:
    raw = [(b"x-auth-request-user", b"alice"), (b"x-auth-request-groups", b"ml-team")]
    assert proxy.identify("10.0.0.1", Headers(raw=raw)).subject == "alice"
    for name, value in [(b"x-auth-request-groups", b"admins"), (b"x-auth-request-user", b"root")]:
        with pytest.raises(Unauthenticated, match="ambiguous"):
            proxy.identify("10.0.0.1", Headers(raw=[*raw, (name, value)]))


def test_header_names_are_configurable() -> None:
    proxy = ProxyIdentity("127.0.0.1/32, ::1", FORWARDED_HEADERS)
    headers = {"X-Forwarded-User": "carol", "X-Forwarded-Groups": "admins"}
    caller = proxy.identify("127.0.0.1", headers)
    assert (caller.subject, caller.claims["groups"]) == ("carol", ["admins"])
    with pytest.raises(Unauthenticated):
        proxy.identify("127.0.0.1", IDENTITY)
    only_user = ProxyIdentity(["127.0.0.1"], ProxyHeaders("Remote-User", None, None))
    assert dict(only_user.identify("127.0.0.1", {"Remote-User": "dave"}).claims) == {"sub": "dave"}


@pytest.mark.parametrize(
    ("proxies", "message"),
    [
        ([], "needs the trusted proxies"),
        ("", "needs the trusted proxies"),
        (["10.0.0.0/33"], "not an IP address or CIDR"),
        (["proxy.example.com"], "not an IP address or CIDR"),
        (["10.0.0.5/24"], "host bits set"),
        (["0.0.0.0/0"], "covers every address"),
        (["::/0"], "covers every address"),
    ],
)
def test_bad_trusted_proxies_are_refused(proxies: list[str] | str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ProxyIdentity(proxies)
