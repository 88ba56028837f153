"""The GraphQL schema: types, enums, connections and the root query."""

from __future__ import annotations

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
from strawberry.types import ExecutionContext

from gateway.schema.context import Context
from gateway.schema.documents import DocumentCache, ParseCache
from gateway.schema.errors import ErrorCodes, log_errors
from gateway.schema.execution import PlannedExecutionContext
from gateway.schema.limits import limit_rules
from gateway.schema.query import Query
from gateway.schema.scalars import SCALAR_OVERRIDES
from gateway.schema.tracing import OperationSpans
from gateway.settings import Settings

CACHED_OPERATIONS = 256
"""Parsed documents and validation results kept, each."""


class GatewaySchema(Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors, execution_context)


def build_schema(settings: Settings | None = None, tracer: Tracer | None = None) -> Schema:
    """The schema; ``settings`` adds its limits, caches and operation batching, ``tracer``
    a span per operation."""
    if settings is None:
        return GatewaySchema(
            query=Query,
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
        extensions=extensions,
        execution_context_class=PlannedExecutionContext,
        scalar_overrides=SCALAR_OVERRIDES,
        config=StrawberryConfig(
            batching_config=BatchingConfig(max_operations=settings.max_batch_operations),
            disable_field_suggestions=not settings.field_suggestions,
        ),
    )


__all__ = ["Context", "build_schema"]
