"""Strawberry types that read their SageMaker structure when GraphQL asks, not before.

A view holds one structure of a SageMaker answer (a dict as botocore parses it), and each of
its plain fields is a property reading one member of it. Nothing is mapped that a query does
not select. botocore drops null members, so a member its model calls required may still be
missing: it reads as None, and graphql-core reports a non-null violation at exactly that
field and nulls its nearest nullable ancestor, instead of one bad candidate failing a page.

The fields stay plain Strawberry fields (no resolver), so the schema is unchanged. Each
reader also says what it reads (:class:`Member`), so planned execution can read a view's
members, and the structures nested in it, straight from the dict, without a view per
structure or a property call per field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Self, TypeVar

from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.private import is_private

from gateway.schema.enums import from_aws, members
from gateway.shapes import AWS

Read = Callable[[Any], Any]
"""A property's getter: the view in, the field's value out."""

E = TypeVar("E", bound=Enum)
T = TypeVar("T", bound="type[View]")


@dataclass(frozen=True, slots=True)
class Member:
    """What a reader reads: member ``name`` of the view's structure, None when absent.

    A present value is ``convert``-ed, or, with ``view``, shown as that view (``many``: a list
    of structures, each as its view, None items kept). An enum member's ``known`` values map
    AWS's strings to the members ``convert`` gives for them.
    """

    name: str
    convert: Callable[[Any], Any] | None = None
    view: type[View] | None = None
    many: bool = False
    known: dict[object, Enum] | None = None


def member_of(read: Read) -> Member | None:
    """The :class:`Member` a reader reads, if it says."""
    found = getattr(read, "member", None)
    return found if isinstance(found, Member) else None


def _reading(read: Read, what: Member) -> Read:
    read.member = what  # type: ignore[attr-defined]
    return read


class View:
    """Base of Strawberry types read from one SageMaker structure (see :func:`reads`)."""

    _data: AWS

    @classmethod
    def of(cls, data: AWS) -> Self:
        """The view of ``data``; Strawberry's own ``__init__`` would map every field."""
        view = cls.__new__(cls)
        view._data = data
        return view


def reads(**readers: Read) -> Callable[[T], T]:
    """Give each plain field of a Strawberry :class:`View` type the property that reads it.

    Every plain field needs exactly one reader, so a field added without one fails at import.
    """

    def install(cls: T) -> T:
        definition: StrawberryObjectDefinition = cls.__strawberry_definition__  # type: ignore[attr-defined]
        plain = {
            f.python_name
            for f in definition.fields
            if f.base_resolver is None and not is_private(f.type)
        }
        if set(readers) != plain:
            raise TypeError(f"{cls.__name__}: readers {sorted(readers)} != fields {sorted(plain)}")
        for name, read in readers.items():
            setattr(cls, name, property(read))
        return cls

    return install


def member(name: str, convert: Callable[[Any], Any] | None = None) -> Read:
    """Reads member ``name`` (None when absent), converted when present."""
    if convert is None:

        def read(view: View) -> Any:
            return view._data.get(name)

        return _reading(read, Member(name))

    def read_converted(view: View) -> Any:
        value = view._data.get(name)
        return None if value is None else convert(value)

    return _reading(read_converted, Member(name, convert))


def enum_member(name: str, enum: type[E]) -> Read:
    """Reads an AWS enum value as the member of ``enum`` (``UNKNOWN`` for a new value)."""
    known: dict[object, E] = members(enum)

    def convert(value: str) -> E:
        found = known.get(value)
        return found if found is not None else from_aws(enum, value)

    def read(view: View) -> E | None:
        value = view._data.get(name)
        if value is None:
            return None
        found = known.get(value)
        return found if found is not None else from_aws(enum, value)

    return _reading(read, Member(name, convert, known=dict(known)))


def utc(value: datetime) -> datetime:
    """Timestamps in UTC whatever the host's zone, so responses are the same everywhere."""
    return value.astimezone(UTC)


def time_member(name: str) -> Read:
    return member(name, utc)


def view_member(name: str, view: type[View]) -> Read:
    """Reads a nested structure as its view."""
    return _reading(member(name, view.of), Member(name, view.of, view))


def views_member(name: str, view: type[View]) -> Read:
    """Reads a list of structures as their views."""
    read = member(name, lambda items: views_of(view, items))
    return _reading(read, Member(name, read.member.convert, view, many=True))  # type: ignore[attr-defined]


def views_of(view: type[View], items: Iterable[AWS | None]) -> list[Any]:
    of = view.of
    return [None if item is None else of(item) for item in items]
