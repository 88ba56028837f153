"""The GraphQL schema: types, enums, connections and the root query."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry import Schema
from strawberry.types import ExecutionContext

from gateway.schema.context import Context
from gateway.schema.errors import ErrorCodes, log_errors
from gateway.schema.query import Query


class GatewaySchema(Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors, execution_context)


def build_schema() -> Schema:
    return GatewaySchema(query=Query, extensions=[ErrorCodes])


__all__ = ["Context", "build_schema"]
