"""The GraphQL schema: types, enums, connections and the root query."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry import Schema
from strawberry.schema.config import BatchingConfig, StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.schema.context import Context
from gateway.schema.errors import ErrorCodes, log_errors
from gateway.schema.query import Query
from gateway.settings import Settings


class GatewaySchema(Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors, execution_context)


def build_schema(settings: Settings | None = None) -> Schema:
    """The schema; ``settings`` enables operation batching (a JSON array of operations)."""
    batching = BatchingConfig(max_operations=settings.max_batch_operations) if settings else None
    return GatewaySchema(
        query=Query,
        extensions=[ErrorCodes],
        config=StrawberryConfig(batching_config=batching),
    )


__all__ = ["Context", "build_schema"]
