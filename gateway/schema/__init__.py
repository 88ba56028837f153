"""The GraphQL schema: types, enums, connections, the root query and subscriptions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import GraphQLError
from opentelemetry.trace import Tracer
from strawberry import Schema
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ValidationCache,
)
from strawberry.schema.config import BatchingConfig, StrawberryConfig
from strawberry.schema.schema import StreamResult
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from gateway.schema.context import Context
from gateway.schema.documents import DocumentCache, ParseCache
from gateway.schema.errors import ErrorCodes, log_errors
from gateway.schema.execution import PlannedExecutionContext
from gateway.schema.limits import limit_rules
from gateway.schema.query import Query
from gateway.schema.scalars import SCALAR_OVERRIDES
from gateway.schema.subscriptions import Subscription, repeat_free, without_repeats
from gateway.schema.tracing import OperationSpans
from gateway.settings import Settings

CACHED_OPERATIONS = 256
"""Parsed documents and validation results kept, each."""
STREAMED = (OperationType.SUBSCRIPTION,)
"""What may run over a WebSocket or an event stream."""


class GatewaySchema(Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors, execution_context)

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ) -> StreamResult:
        """Strawberry's streams (WebSockets, SSE), without a leaderboard's identical repeats.

        Streams run subscriptions only: queries and mutations go over HTTP, where the result
        cache, persisted documents and the caller's limits apply (see :mod:`.errors`)."""
        allowed = set(allowed_operation_types or STREAMED) & set(STREAMED)
        results = await super().stream(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            operation_extensions,
            allowed,
        )
        return without_repeats(results) if repeat_free(query, operation_name) else results


def build_schema(settings: Settings | None = None, tracer: Tracer | None = None) -> Schema:
    """The schema; ``settings`` adds its limits, caches and operation batching, ``tracer``
    a span per operation."""
    if settings is None:
        return GatewaySchema(
            query=Query,
            subscription=Subscription,
            extensions=[ErrorCodes],
            execution_context_class=PlannedExecutionContext,
            scalar_overrides=SCALAR_OVERRIDES,
        )
    documents = DocumentCache(maxsize=CACHED_OPERATIONS)
    rules = limit_rules(settings.max_query_depth, settings.max_aliases)
    extensions: list[Any] = [
        ErrorCodes,
        lambda: ParseCache(documents),
        lambda: ValidationCache(maxsize=CACHED_OPERATIONS),
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    if tracer is not None:  # outermost: its span sees the other extensions' errors
        extensions.insert(0, lambda: OperationSpans(tracer=tracer))
    return GatewaySchema(
        query=Query,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=PlannedExecutionContext,
        scalar_overrides=SCALAR_OVERRIDES,
        config=StrawberryConfig(
            batching_config=BatchingConfig(max_operations=settings.max_batch_operations),
            disable_field_suggestions=not settings.field_suggestions,
        ),
    )


__all__ = ["Context", "build_schema"]
