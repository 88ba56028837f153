"""The completers plans are made of: each completes one value exactly as graphql-core would,
or raises :class:`Fallback` for graphql-core to complete it (and report what is wrong)."""

from __future__ import annotations

from collections.abc import Callable
from math import isfinite
from types import CoroutineType, GeneratorType
from typing import Any, TypeAlias

from graphql import GraphQLEnumType, GraphQLLeafType, Undefined

from gateway.schema.views import Member, View

Complete: TypeAlias = Callable[[Any], Any]
"""Completes a resolved non-null value, or raises :class:`Fallback`."""
Completion: TypeAlias = tuple[type, bool, Complete]
"""(type whose values are their own result, non-null, completer of other values)."""
FieldPlan: TypeAlias = tuple[str, Callable[[Any], Any], type, bool, Complete]
"""(response name, getter, then the field's :data:`Completion`)."""
IsAwaitable: TypeAlias = Callable[[Any], bool]

MIN_INT, MAX_INT = -(2**31), 2**31 - 1


class Fallback(Exception):
    """This value needs graphql-core's own completion (which reports what is wrong with it)."""


class NoFastPath:
    """A type no value has: fields whose values always need their completer."""


def never(value: Any) -> Any:
    raise Fallback


def checked_coercion(leaf: GraphQLLeafType, is_awaitable: IsAwaitable) -> Complete:
    """The type's own output coercion, refusing what ``complete_leaf_value`` would."""
    coerce = leaf.coerce_output_value

    def complete(value: Any) -> Any:
        if is_awaitable(value):
            raise Fallback
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Fallback
        return coerced

    return complete


def int_completer(coerce: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if type(value) is int and MIN_INT <= value <= MAX_INT:
            return value  # what serialize_int returns for it
        return coerce(value)

    return complete


def float_completer(coerce: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if type(value) is float and isfinite(value):
            return value  # what serialize_float returns for it
        return coerce(value)

    return complete


def enum_completer(enum: GraphQLEnumType, coerce: Complete) -> Complete:
    """The enum's serializer, remembered per member: Strawberry's scans every value.

    The lookup is keyed by the members themselves: a value that is not one (Enum members
    equal nothing but themselves) misses, and the stock path serializes it.
    """
    members: type | None = getattr(enum, "wrapped_cls", None)
    if members is None:
        return coerce
    names: dict[Any, Any] = {}
    for member in members:  # type: ignore[attr-defined]
        try:
            names[member] = coerce(member)
        except Exception:  # a member it refuses stays refused, by the stock path
            continue
    return names.__getitem__


def list_completer(exact: type, required: bool, complete_item: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if type(value) is not list:
            raise Fallback  # other iterables: graphql-core decides what they are
        completed: list[Any] = []
        append = completed.append
        for item in value:
            if type(item) is exact:
                append(item)
            elif item is None:
                if required:
                    raise Fallback
                append(None)
            else:
                append(complete_item(item))
        return completed

    return complete


def instances_never_awaitable(cls: type) -> bool:
    """Whether ``is_awaitable`` is false for every instance of ``cls`` whose ``__dict__`` has
    no ``__await__``: no coroutine or generator, and no ``__await__`` in the class nor
    anything that changes attribute lookup or ``isinstance``."""
    overrides = ("__await__", "__getattr__", "__getattribute__", "__class__")
    return (
        cls.__dictoffset__ != 0
        and not issubclass(cls, CoroutineType | GeneratorType)
        and not any(name in vars(base) for base in cls.__mro__[:-1] for name in overrides)
    )


def data_getter(read: Member) -> Callable[[Any], Any]:
    """What the view's reader returns, from the structure itself."""
    name, convert = read.name, read.convert
    if convert is None:
        return lambda data: data.get(name)

    def get(data: Any) -> Any:
        value = data.get(name)
        return None if value is None else convert(value)

    return get


def known_values(read: Member, exact: type, required: bool, complete: Complete) -> Completion:
    """An enum member read and completed in one lookup of AWS's string; other strings (a value
    SageMaker added) are converted and completed as the reader and the enum would."""
    convert: Complete = read.convert  # type: ignore[assignment]
    completed: dict[object, Any] = {}
    for value, enum_member in (read.known or {}).items():
        try:
            completed[value] = complete(enum_member)
        except Exception:  # a member the completer refuses stays refused, below
            continue

    def complete_value(value: Any) -> Any:
        found = completed.get(value)
        return found if found is not None else complete(convert(value))

    return NoFastPath, required, complete_value


def view_completer(view: type[View], complete_data: Complete) -> Complete:
    """Completes a view by its structure; anything but a view of exactly that class (which is
    never awaitable, unless given its own ``__await__``) takes the stock path."""

    def complete(source: Any) -> Any:
        if type(source) is not view or "__await__" in source.__dict__:
            raise Fallback
        return complete_data(source._data)

    return complete


def fields_completer(fields: tuple[FieldPlan, ...]) -> Complete:
    """Completes a source's fields (an object's or a structure's, as the getters read)."""

    def complete(data: Any) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, get, exact, required, complete_value in fields:
            value = get(data)
            if type(value) is exact:
                result[name] = value
            elif value is None:
                if required:
                    raise Fallback
                result[name] = None
            else:
                result[name] = complete_value(value)
        return result

    return complete


def object_completer(
    fields: tuple[FieldPlan, ...],
    is_type_of: Callable[[Any, Any], Any] | None,
    is_awaitable: IsAwaitable,
) -> Complete:
    # Classes whose instances only an own ``__await__`` could make awaitable: checking that
    # costs a third of calling is_awaitable, once per object of a page.
    plain_classes: set[type] = set()

    def awaitable(source: Any) -> bool:
        if is_awaitable(source):
            return True
        if instances_never_awaitable(type(source)):
            plain_classes.add(type(source))
        return False

    complete_fields = fields_completer(fields)

    def complete(source: Any) -> dict[str, Any]:
        if type(source) in plain_classes:
            if "__await__" in source.__dict__:
                raise Fallback
        elif awaitable(source):
            raise Fallback
        if is_type_of is not None and not is_type_of(source, None):
            raise Fallback
        completed: dict[str, Any] = complete_fields(source)
        return completed

    return complete
