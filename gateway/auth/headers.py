"""Reading request headers that must not be ambiguous."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def header_values(headers: Mapping[str, str], name: str) -> list[str]:
    """Every value of header ``name`` (case-insensitive), in order.

    Starlette's ``Headers`` keep repeated headers, which a plain mapping cannot: pass
    ``request.headers`` so that a header sent twice is seen twice and can be refused.
    """
    getlist = getattr(headers, "getlist", None)
    if callable(getlist):
        values: Iterable[str] = getlist(name)
        return list(values)
    wanted = name.lower()
    return [value for key, value in headers.items() if key.lower() == wanted]


def as_list(value: str | Iterable[str]) -> list[str]:
    """A list setting given as a list, or as one comma-separated string."""
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()]
