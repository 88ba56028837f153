"""The gateway's execution context: Strawberry's, completing plain-data objects from plans.

Every object graphql-core is about to complete goes through :meth:`complete_object_value`.
When a plan (see :mod:`gateway.schema.plans`) covers the object's selection, the plan
completes the whole subtree; when it cannot, or refuses a value, the object takes
graphql-core's own path, which then meets the same choice for each object below it.
Answers are therefore always graphql-core's: plans only skip the work that cannot change
them.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from graphql import GraphQLObjectType, NamedTypeNode, NonNullTypeNode, TypeNode
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path
from graphql.type import GraphQLResolveInfo
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.schema.completers import Complete
from gateway.schema.documents import LRU
from gateway.schema.plans import PlanBuilder

PlanKey: TypeAlias = tuple[Any, ...]


PLANS: LRU[PlanKey, tuple[FieldDetailsList, Complete | None]] = LRU(maxsize=1024)
"""Plans shared by every request, keyed by the identity of their field nodes.

With the parse cache, repeated operations reuse the same AST, so the same selection finds its
plan without collecting fields again. Each entry holds its nodes, so their ids cannot be
reused by another document while the entry lives.
"""


def _is_boolean(type_node: TypeNode) -> bool:
    if isinstance(type_node, NonNullTypeNode):
        type_node = type_node.type
    return isinstance(type_node, NamedTypeNode) and type_node.name.value == "Boolean"


class PlannedExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with planned completion of plain data."""

    plans = PLANS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._planned: dict[tuple[GraphQLObjectType, int], tuple[FieldDetailsList, Any]] = {}
        self._builder = PlanBuilder(self.schema, self.collect_subfields, self.is_awaitable)
        self._planning = self._may_plan()
        self._variant = self._plan_variant()

    def _may_plan(self) -> bool:
        """Plans skip resolvers, so anything wrapping field resolution turns them off."""
        strawberry_schema = getattr(self.schema, "_strawberry_schema", None)
        middleware = self.middleware_manager
        return (
            strawberry_schema is not None
            and not strawberry_schema.exception_handlers
            and (middleware is None or not middleware.middlewares)
        )

    def _plan_variant(self) -> tuple[Any, ...] | None:
        """What besides the field nodes decides which fields graphql-core collects: the
        values of the Boolean variables (the only ones ``@include``/``@skip`` accept).
        None when plans cannot be shared (fragment variables)."""
        if any(f.variable_definitions for f in self.fragment_definitions.values()):
            return None
        coerced = self.variable_values.coerced
        booleans = tuple(
            coerced.get(definition.variable.name.value)
            for definition in self.operation.variable_definitions or ()
            if _is_boolean(definition.type)
        )
        return (self.is_awaitable, *booleans)

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        if self._planning and position_context is None:
            plan = self._plan(return_type, field_details_list)
            if plan is not None:
                try:
                    completed: dict[str, Any] = plan(result)
                except Exception:  # the stock path completes it and reports what is wrong
                    pass
                else:
                    return completed
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> Complete | None:
        key = (object_type, id(field_details_list))
        planned = self._planned.get(key)
        if planned is None:
            planned = (field_details_list, self._shared_plan(object_type, field_details_list))
            self._planned[key] = planned
        plan: Complete | None = planned[1]
        return plan

    def _shared_plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> Complete | None:
        if self._variant is None:
            return self._builder.object_plan(object_type, field_details_list)
        nodes = tuple(id(detail.node) for detail in field_details_list)
        key = (object_type, nodes, self._variant)
        entry = self.plans.get(key)
        if entry is not None:
            return entry[1]
        plan = self._builder.object_plan(object_type, field_details_list)
        self.plans.put(key, (field_details_list, plan))
        return plan
