"""Plans: how to complete an object subtree of plain data in one pass.

graphql-core completes every field on its own: resolve info, resolver call, awaitable checks,
type dispatch. For a subtree made only of plain fields (no resolver, no arguments) of enums,
scalars, lists and objects, all of that is known before the first object is seen. A plan
fixes it once per selection (graphql-core collects the fields) and then completes every
object of a page with one loop per object.

A plan never reports errors. On anything it does not complete exactly as graphql-core would
(a null in a non-null field, a value a serializer refuses, an awaitable, a type it does not
know) it raises, and the caller completes that object on the stock path instead, which
reports what graphql-core reports.
"""

from __future__ import annotations

from collections.abc import Callable
from math import isfinite
from operator import attrgetter
from types import CoroutineType, GeneratorType
from typing import Any, TypeAlias

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    TypeNameMetaFieldDef,
    Undefined,
)
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

Complete: TypeAlias = Callable[[Any], Any]
"""Completes a resolved non-null value, or raises :class:`Fallback`."""
CollectSubfields: TypeAlias = Callable[[GraphQLObjectType, FieldDetailsList], CollectedFields]
IsAwaitable: TypeAlias = Callable[[Any], bool]

INCLUSION_DIRECTIVES = frozenset({"include", "skip"})
"""Directives graphql-core applies while collecting fields; any other one needs the stock path."""
MIN_INT, MAX_INT = -(2**31), 2**31 - 1
BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF


class Fallback(Exception):
    """This value needs graphql-core's own completion (which reports what is wrong with it)."""


class _NoFastPath:
    """A type no value has: fields whose values always need their completer."""


def plain_field_getter(field: GraphQLField) -> Callable[[Any], Any] | None:
    """How Strawberry's default resolver reads a plain field, or None for any other field.

    A plain Strawberry field resolves to ``getattr(source, python_name)`` and never looks at
    its info or arguments; reading the attribute is therefore all of its resolution.
    """
    definition = field.extensions.get(BACKREF)
    if (
        not isinstance(definition, StrawberryField)
        or not getattr(field.resolve, "_is_default", False)
        or not definition.is_basic_field
        or field.args
        or type(definition).get_result is not StrawberryField.get_result
        or definition.default_resolver is not getattr
    ):
        return None
    return attrgetter(definition.python_name)


def _strawberry_is_type_of(
    object_type: GraphQLObjectType,
) -> tuple[bool, Callable[[Any, Any], Any] | None]:
    """(plannable, is_type_of). Strawberry's own check is an isinstance test that ignores its
    info; a user-defined one might not, so such types are left to the stock path."""
    definition = object_type.extensions.get(BACKREF)
    if not isinstance(definition, StrawberryObjectDefinition) or definition.is_type_of:
        return False, None
    return True, object_type.is_type_of


class PlanBuilder:
    """Builds plans for one schema from graphql-core's collected fields."""

    def __init__(
        self,
        schema: GraphQLSchema,
        collect_subfields: CollectSubfields,
        is_awaitable: IsAwaitable,
    ) -> None:
        self._schema = schema
        self._collect_subfields = collect_subfields
        self._is_awaitable = is_awaitable

    def object_plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> Complete | None:
        """A completer of ``object_type`` values for this selection, or None if some field
        of the subtree needs the stock path."""
        plannable, is_type_of = _strawberry_is_type_of(object_type)
        if not plannable:
            return None
        grouped_field_set, new_defer_usages, _forbidden = self._collect_subfields(
            object_type, field_details_list
        )
        if new_defer_usages:
            return None
        fields: list[tuple[str, Callable[[Any], Any], type, bool, Complete]] = []
        for response_name, details in grouped_field_set.items():
            entry = self._field(object_type, details)
            if entry is None:
                return None
            fields.append((response_name, *entry))
        return _object_completer(tuple(fields), is_type_of, self._is_awaitable)

    def _field(
        self, parent_type: GraphQLObjectType, details: FieldDetailsList
    ) -> tuple[Callable[[Any], Any], type, bool, Complete] | None:
        for detail in details:
            directives = detail.node.directives or ()
            if (
                detail.defer_usage is not None
                or detail.fragment_variable_values is not None
                or detail.node.arguments
                or any(d.name.value not in INCLUSION_DIRECTIVES for d in directives)
            ):
                return None
        field = self._schema.get_field(parent_type, details[0].node.name.value)
        if field is None:
            return None
        if field is TypeNameMetaFieldDef:
            name = parent_type.name
            return (lambda _source: name), str, True, _never
        getter = plain_field_getter(field)
        if getter is None:
            return None
        completion = self._completion(field.type, details)
        if completion is None:
            return None
        return (getter, *completion)

    def _completion(
        self, type_: GraphQLOutputType, details: FieldDetailsList
    ) -> tuple[type, bool, Complete] | None:
        """(type whose values are their own result, non-null, completer of other values)."""
        required = isinstance(type_, GraphQLNonNull)
        inner: GraphQLOutputType = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(inner, GraphQLList):
            item = self._completion(inner.of_type, details)
            if item is None:
                return None
            return _NoFastPath, required, _list_completer(*item)
        if isinstance(inner, GraphQLObjectType):
            plan = self.object_plan(inner, details)
            return None if plan is None else (_NoFastPath, required, plan)
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            return self._leaf(inner, required)
        return None  # interfaces and unions: the stock path resolves their runtime type

    def _leaf(self, leaf: GraphQLLeafType, required: bool) -> tuple[type, bool, Complete]:
        coerce = _checked_coercion(leaf, self._is_awaitable)
        if leaf is GraphQLString or leaf is GraphQLID:
            return str, required, coerce
        if leaf is GraphQLBoolean:
            return bool, required, coerce
        if leaf is GraphQLInt:
            return _NoFastPath, required, _int_completer(coerce)
        if leaf is GraphQLFloat:
            return _NoFastPath, required, _float_completer(coerce)
        if isinstance(leaf, GraphQLEnumType):
            return _NoFastPath, required, _enum_completer(leaf, coerce)
        return _NoFastPath, required, coerce


def _never(value: Any) -> Any:
    raise Fallback


def _checked_coercion(leaf: GraphQLLeafType, is_awaitable: IsAwaitable) -> Complete:
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


def _int_completer(coerce: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if type(value) is int and MIN_INT <= value <= MAX_INT:
            return value  # what serialize_int returns for it
        return coerce(value)

    return complete


def _float_completer(coerce: Complete) -> Complete:
    def complete(value: Any) -> Any:
        if type(value) is float and isfinite(value):
            return value  # what serialize_float returns for it
        return coerce(value)

    return complete


def _enum_completer(enum: GraphQLEnumType, coerce: Complete) -> Complete:
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


def _list_completer(exact: type, required: bool, complete_item: Complete) -> Complete:
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


def _instances_never_awaitable(cls: type) -> bool:
    """Whether ``is_awaitable`` is false for every instance of ``cls`` whose ``__dict__`` has
    no ``__await__``: no coroutine or generator, and no ``__await__`` in the class nor
    anything that changes attribute lookup or ``isinstance``."""
    overrides = ("__await__", "__getattr__", "__getattribute__", "__class__")
    return (
        cls.__dictoffset__ != 0
        and not issubclass(cls, CoroutineType | GeneratorType)
        and not any(name in vars(base) for base in cls.__mro__[:-1] for name in overrides)
    )


def _object_completer(
    fields: tuple[tuple[str, Callable[[Any], Any], type, bool, Complete], ...],
    is_type_of: Callable[[Any, Any], Any] | None,
    is_awaitable: IsAwaitable,
) -> Complete:
    # Classes whose instances only an own ``__await__`` could make awaitable: checking that
    # costs a third of calling is_awaitable, once per object of a page.
    plain_classes: set[type] = set()

    def awaitable(source: Any) -> bool:
        if is_awaitable(source):
            return True
        if _instances_never_awaitable(type(source)):
            plain_classes.add(type(source))
        return False

    def complete(source: Any) -> dict[str, Any]:
        if type(source) in plain_classes:
            if "__await__" in source.__dict__:
                raise Fallback
        elif awaitable(source):
            raise Fallback
        if is_type_of is not None and not is_type_of(source, None):
            raise Fallback
        result: dict[str, Any] = {}
        for name, get, exact, required, complete_value in fields:
            value = get(source)
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
