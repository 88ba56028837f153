"""Identity from the headers of an authenticating proxy in front (e.g. oauth2-proxy).

Anyone can send ``X-Auth-Request-User: admin``; the header proves something only when the
proxy set it. So identity headers are read only from a direct peer in ``trusted_proxies``;
from any other address the request is refused even when it carries them. The proxy must
set, or remove, every header the gateway reads, so that a client cannot add its own.

``peer_host`` must be the address of the TCP peer itself. When the server rewrites the
client address from ``X-Forwarded-For`` (uvicorn's ``--proxy-headers`` with a trusted
``--forwarded-allow-ips``), that rewritten address is whatever the forwarders said.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gateway.auth.errors import Unauthenticated
from gateway.auth.headers import as_list, header_values
from gateway.auth.identity import Caller

logger = logging.getLogger(__name__)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

UNTRUSTED_PEER = "Requests must come through the authenticating proxy."
NO_USER = "The authenticating proxy did not identify the caller."
REPEATED = "The authenticating proxy's identity headers are ambiguous."


@dataclass(frozen=True)
class ProxyHeaders:
    """The headers that carry the caller's identity; ``None`` to not read one."""

    user: str = "X-Auth-Request-User"
    email: str | None = "X-Auth-Request-Email"
    groups: str | None = "X-Auth-Request-Groups"  # comma-separated

    def names(self) -> list[str]:
        return [name for name in (self.user, self.email, self.groups) if name is not None]


# oauth2-proxy's headers for nginx's auth_request (--set-xauthrequest); the default.
OAUTH2_PROXY_HEADERS = ProxyHeaders()
# oauth2-proxy as the reverse proxy itself (--pass-user-headers), and many others.
FORWARDED_HEADERS = ProxyHeaders("X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Groups")


def parse_networks(trusted_proxies: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """Addresses and CIDRs (IPv4 or IPv6) of the proxies, given as a list or comma-separated."""
    networks = []
    for entry in as_list(trusted_proxies):
        try:
            network = ipaddress.ip_network(entry)
        except ValueError as error:
            raise ValueError(
                f"trusted proxy {entry!r} is not an IP address or CIDR ({error})"
            ) from None
        if network.prefixlen == 0:
            raise ValueError(
                f"trusted proxy {entry!r} covers every address: any client could claim to be "
                "anyone. List only the proxies' addresses."
            )
        networks.append(network)
    if not networks:
        raise ValueError("proxy authentication needs the trusted proxies' addresses")
    return tuple(networks)


def parse_peer(peer_host: str | None) -> IPAddress | None:
    """The peer's address; IPv4-mapped IPv6 addresses as IPv4; ``None`` when not an IP."""
    if not peer_host:
        return None
    try:
        address = ipaddress.ip_address(peer_host.strip("[]"))
    except ValueError:
        return None  # e.g. a Unix socket
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class ProxyIdentity:
    """Reads the caller that a trusted authentication proxy identified in its headers."""

    def __init__(
        self,
        trusted_proxies: str | Iterable[str],
        headers: ProxyHeaders = OAUTH2_PROXY_HEADERS,
    ) -> None:
        self._networks = parse_networks(trusted_proxies)
        self._headers = headers

    def is_trusted(self, peer_host: str | None) -> bool:
        address = parse_peer(peer_host)
        return address is not None and any(address in network for network in self._networks)

    def identify(self, peer_host: str | None, headers: Mapping[str, str]) -> Caller:
        """The caller the proxy identified, or :class:`Unauthenticated`."""
        if not self.is_trusted(peer_host):
            if any(header_values(headers, name) for name in self._headers.names()):
                # Either an attempt to impersonate, or a proxy missing from trusted_proxies.
                logger.warning(
                    "Ignored identity headers from %s, which is not a trusted proxy.", peer_host
                )
            raise Unauthenticated(UNTRUSTED_PEER, error=None)
        user = self._single(headers, self._headers.user)
        if not user:
            raise Unauthenticated(NO_USER, error=None)
        claims: dict[str, object] = {"sub": user}
        if self._headers.email is not None:
            email = self._single(headers, self._headers.email)
            if email:
                claims["email"] = email
        if self._headers.groups is not None:
            groups = self._single(headers, self._headers.groups) or ""
            claims["groups"] = as_list(groups)
        return Caller(subject=user, claims=claims)

    @staticmethod
    def _single(headers: Mapping[str, str], name: str) -> str | None:
        """A header's value, stripped; refuses one sent twice rather than guess which counts."""
        values = header_values(headers, name)
        if len(values) > 1:
            raise Unauthenticated(REPEATED, error=None)
        return values[0].strip() if values else None
