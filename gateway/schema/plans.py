"""Plans: how to complete an object subtree of plain data in one pass.

graphql-core completes every field on its own: resolve info, resolver call, awaitable checks,
type dispatch. For a subtree made only of plain fields (no resolver, no arguments) of enums,
scalars, lists and objects, all of that is known before the first object is seen. A plan
fixes it once per selection (graphql-core collects the fields) and then completes every
object of a page with one loop per object.

The structures SageMaker answered are read the same way: a view's plain fields each say which
member they read (:class:`~gateway.schema.views.Member`), so a plan of a view type reads its
dict directly, and the structures nested in it without creating their views.

A plan never reports errors. On anything it does not complete exactly as graphql-core would
(a null in a non-null field, a value a serializer refuses, an awaitable, a type it does not
know) it raises, and the caller completes that object on the stock path instead, which
reports what graphql-core reports.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
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
)
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from gateway.schema.completers import (
    Complete,
    Completion,
    FieldPlan,
    IsAwaitable,
    NoFastPath,
    checked_coercion,
    data_getter,
    enum_completer,
    fields_completer,
    float_completer,
    instances_never_awaitable,
    int_completer,
    known_values,
    list_completer,
    never,
    object_completer,
    view_completer,
)
from gateway.schema.views import Member, View, member_of

CollectSubfields: TypeAlias = Callable[[GraphQLObjectType, FieldDetailsList], CollectedFields]

FieldEntry: TypeAlias = tuple[Callable[[Any], Any], type, bool, Complete]
"""A field's getter and :data:`~gateway.schema.completers.Completion`."""
INCLUSION_DIRECTIVES = frozenset({"include", "skip"})
"""Directives graphql-core applies while collecting fields; any other one needs the stock path."""
BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF


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


def view_member(field: GraphQLField, view: type[View]) -> Member | None:
    """The member a plain field of ``view`` reads, when its reader says (see ``reads``)."""
    if plain_field_getter(field) is None:
        return None
    definition = field.extensions[BACKREF]
    prop = vars(view).get(definition.python_name)
    if not isinstance(prop, property) or prop.fget is None:
        return None
    return member_of(prop.fget)


def _view_class(object_type: GraphQLObjectType) -> type[View] | None:
    definition = object_type.extensions.get(BACKREF)
    origin = getattr(definition, "origin", None)
    if isinstance(origin, type) and issubclass(origin, View) and instances_never_awaitable(origin):
        return origin
    return None


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
        view = _view_class(object_type)
        if view is not None:
            data_plan = self.data_plan(object_type, field_details_list, view)
            if data_plan is not None:
                return view_completer(view, data_plan)
        fields = self._fields(object_type, field_details_list, self._field)
        return None if fields is None else object_completer(fields, is_type_of, self._is_awaitable)

    def data_plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList, view: type
    ) -> Complete | None:
        """A completer of the structures ``view`` shows (SageMaker's dicts) for this
        selection, or None unless every selected field reads a member."""
        if _view_class(object_type) is not view:
            return None
        fields = self._fields(
            object_type,
            field_details_list,
            lambda parent, details: self._data_field(parent, view, details),
        )
        return None if fields is None else fields_completer(fields)

    def _fields(
        self,
        object_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        plan_field: Callable[[GraphQLObjectType, FieldDetailsList], FieldEntry | None],
    ) -> tuple[FieldPlan, ...] | None:
        """The plans of the fields graphql-core collects for this selection, or None if one
        needs the stock path (or the selection defers some)."""
        grouped_field_set, new_defer_usages, _forbidden = self._collect_subfields(
            object_type, field_details_list
        )
        if new_defer_usages:
            return None
        fields: list[FieldPlan] = []
        for response_name, details in grouped_field_set.items():
            entry = plan_field(object_type, details)
            if entry is None:
                return None
            fields.append((response_name, *entry))
        return tuple(fields)

    def _data_field(
        self, parent_type: GraphQLObjectType, view: type[View], details: FieldDetailsList
    ) -> FieldEntry | None:
        field = self._plain_field(parent_type, details)
        if field is None:
            return None
        if field is TypeNameMetaFieldDef:
            name = parent_type.name
            return (lambda _data: name), str, True, never
        read = view_member(field, view)
        if read is None:
            return None
        if read.view is None:
            completion = self._completion(field.type, details)
            if completion is None:
                return None
            if read.known is not None and read.convert is not None:
                return data_getter(Member(read.name)), *known_values(read, *completion)
            return data_getter(read), *completion
        required = isinstance(field.type, GraphQLNonNull)
        inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if read.many:
            if not isinstance(inner, GraphQLList):
                return None
            item_required = isinstance(inner.of_type, GraphQLNonNull)
            item_type = inner.of_type.of_type if item_required else inner.of_type
            if not isinstance(item_type, GraphQLObjectType):
                return None
            item_plan = self.data_plan(item_type, details, read.view)
            if item_plan is None:
                return None
            complete = list_completer(NoFastPath, item_required, item_plan)
        else:
            if not isinstance(inner, GraphQLObjectType):
                return None
            plan = self.data_plan(inner, details, read.view)
            if plan is None:
                return None
            complete = plan
        return data_getter(Member(read.name)), NoFastPath, required, complete

    def _plain_field(
        self, parent_type: GraphQLObjectType, details: FieldDetailsList
    ) -> GraphQLField | None:
        """The field these nodes select, unless a node needs the stock path."""
        for detail in details:
            directives = detail.node.directives or ()
            if (
                detail.defer_usage is not None
                or detail.fragment_variable_values is not None
                or detail.node.arguments
                or any(d.name.value not in INCLUSION_DIRECTIVES for d in directives)
            ):
                return None
        return self._schema.get_field(parent_type, details[0].node.name.value)

    def _field(
        self, parent_type: GraphQLObjectType, details: FieldDetailsList
    ) -> FieldEntry | None:
        field = self._plain_field(parent_type, details)
        if field is None:
            return None
        if field is TypeNameMetaFieldDef:
            name = parent_type.name
            return (lambda _source: name), str, True, never
        getter = plain_field_getter(field)
        if getter is None:
            return None
        completion = self._completion(field.type, details)
        if completion is None:
            return None
        return (getter, *completion)

    def _completion(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Completion | None:
        """(type whose values are their own result, non-null, completer of other values)."""
        required = isinstance(type_, GraphQLNonNull)
        inner: GraphQLOutputType = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(inner, GraphQLList):
            item = self._completion(inner.of_type, details)
            if item is None:
                return None
            return NoFastPath, required, list_completer(*item)
        if isinstance(inner, GraphQLObjectType):
            plan = self.object_plan(inner, details)
            return None if plan is None else (NoFastPath, required, plan)
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            return self._leaf(inner, required)
        return None  # interfaces and unions: the stock path resolves their runtime type

    def _leaf(self, leaf: GraphQLLeafType, required: bool) -> Completion:
        coerce = checked_coercion(leaf, self._is_awaitable)
        if leaf is GraphQLString or leaf is GraphQLID:
            return str, required, coerce
        if leaf is GraphQLBoolean:
            return bool, required, coerce
        if leaf is GraphQLInt:
            return NoFastPath, required, int_completer(coerce)
        if leaf is GraphQLFloat:
            return NoFastPath, required, float_completer(coerce)
        if isinstance(leaf, GraphQLEnumType):
            return NoFastPath, required, enum_completer(leaf, coerce)
        return NoFastPath, required, coerce
