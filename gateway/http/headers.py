"""One request header read straight from the ASGI scope.

Starlette's ``Headers`` is built per use and its ``get`` raises and catches a ``KeyError`` for
every header that is absent, which is most of them; the middleware in front of every request
asks for a few headers each, so they read the scope's list themselves.
"""

from __future__ import annotations

from starlette.types import Scope


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (given in lower case, as ASGI servers send names)."""
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def has_header(scope: Scope, names: frozenset[bytes]) -> bool:
    return any(key in names for key, _ in scope["headers"])
