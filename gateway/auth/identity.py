"""Who is calling: what authentication established and authorization reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Caller:
    """An authenticated caller, or :data:`ANONYMOUS` when authentication is off.

    ``claims`` are the token's verified claims (JWT mode) or the proxy's identity headers as
    claims (``sub``, ``email``, ``groups``); the authorization policy reads them. They are
    kept out of ``repr`` so that logging a caller does not log personal data.
    """

    subject: str
    claims: Mapping[str, object] = field(default_factory=dict, repr=False, hash=False)
    authenticated: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "claims", MappingProxyType(dict(self.claims)))


ANONYMOUS = Caller(subject="anonymous", claims={}, authenticated=False)
