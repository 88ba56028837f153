"""Planned execution answers exactly what graphql-core's stock execution answers.

Generated operations (aliases, named and inline fragments, ``@include``/``@skip`` with
variables, ``__typename`` at every level, repeated and merged fields, resolver fields among
plain ones) run over generated SageMaker answers with gaps and bad values, through Strawberry's
stock execution context and the gateway's planned one; the whole results must be equal, as
JSON text: data, errors (message, path, locations) and the order of every key.
"""

from __future__ import annotations

import json
from typing import Any

from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
    parse,
    validate,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry import Schema
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.schema import build_schema
from gateway.schema.execution import PlannedExecutionContext
from gateway.schema.query import Query
from gateway.settings import Settings
from tests.schema.memory import AWS, MemoryAutopilot, candidates, execute, job

STOCK = Schema(query=Query)
PLANNED = Schema(query=Query, execution_context_class=PlannedExecutionContext)
GATEWAY = build_schema(Settings(auth_mode="none", max_aliases=1000, max_query_depth=50))
GATEWAY_STOCK = build_schema(Settings(auth_mode="none", max_aliases=1000, max_query_depth=50))
GATEWAY_STOCK.execution_context_class = StrawberryGraphQLCoreExecutionContext
TYPES: GraphQLSchema = PLANNED._schema
VARIABLES = ("v0", "v1", "v2")


class Operation:
    """Draws one operation's selections, fragments and variables."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.fragments: list[str] = []
        self.variables: dict[str, bool] = {}

    def directive(self) -> str:
        choice = self.draw(st.sampled_from(["", "", "", "include", "skip", "literal"]))
        if choice == "literal":
            name = self.draw(st.sampled_from(["include", "skip"]))
            return f" @{name}(if: {self.draw(st.sampled_from(['true', 'false']))})"
        if not choice:
            return ""
        variable = self.draw(st.sampled_from(VARIABLES))
        self.variables.setdefault(variable, self.draw(st.booleans()))
        return f" @{choice}(if: ${variable})"

    def selection(self, type_: GraphQLObjectType, depth: int) -> str:
        names = [
            name
            for name, field in type_.fields.items()
            if name != "id" and not any(is_non_null_type(a.type) for a in field.args.values())
        ]
        chosen = self.draw(st.lists(st.sampled_from(names), min_size=1, max_size=6))
        parts = [self.field(type_, name, depth) for name in chosen]
        if self.draw(st.integers(0, 3)) == 0:
            parts.append("__typename")
        if "id" in type_.fields and self.draw(st.integers(0, 5)) == 0:
            parts.append(f"... on Node{self.directive()} {{ id }}")
        return " ".join(self.wrapped(type_, part) for part in parts)

    def field(self, type_: GraphQLObjectType, name: str, depth: int) -> str:
        alias = self.draw(st.sampled_from(["", "", f"{name}_a", f"{name}_b"]))
        text = f"{alias}: {name}" if alias else name
        text += self.directive()
        named = get_named_type(type_.fields[name].type)
        if is_leaf_type(named):
            return text
        assert isinstance(named, GraphQLObjectType)
        inner = self.selection(named, depth - 1) if depth > 0 else "__typename"
        return f"{text} {{ {inner} }}"

    def wrapped(self, type_: GraphQLObjectType, part: str) -> str:
        how = self.draw(st.sampled_from(["", "", "", "inline", "untyped", "named"]))
        if how == "inline":
            return f"... on {type_.name}{self.directive()} {{ {part} }}"
        if how == "untyped":
            return f"...{self.directive()} {{ {part} }}"
        if how == "named":
            name = f"F{len(self.fragments)}"
            self.fragments.append(f"fragment {name} on {type_.name} {{ {part} }}")
            return f"...{name}{self.directive()}"
        return part

    def text(self, body: str) -> str:
        declared = ", ".join(f"${name}: Boolean!" for name in sorted(self.variables))
        header = f"query Q({declared})" if declared else "query Q"
        return "\n".join([f"{header} {{ {body} }}", *self.fragments])


@st.composite
def operations(draw: st.DrawFn) -> tuple[str, dict[str, bool]]:
    operation = Operation(draw)
    root = draw(st.sampled_from(["candidates", "candidates", "job"]))
    if root == "candidates":
        connection = TYPES.get_type("CandidateConnection")
        assert isinstance(connection, GraphQLObjectType)
        body = f'candidates(jobName: "j", first: 3) {{ {operation.selection(connection, 5)} }}'
    else:
        job_type = TYPES.get_type("AutoMLJob")
        assert isinstance(job_type, GraphQLObjectType)
        body = f'autoMLJob(name: "j") {{ {operation.selection(job_type, 5)} }}'
    if draw(st.booleans()):
        body = f"__typename {body}"
    query = operation.text(body)
    assert validate(TYPES, parse(query)) == [], query
    return query, operation.variables


def as_json(body: dict[str, Any]) -> str:
    return json.dumps(body)  # keeps key order: results must match it too


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(operation=operations(), page=candidates(), described=job())
def test_planned_execution_answers_exactly_as_stock_execution(
    operation: tuple[str, dict[str, bool]], page: list[AWS], described: AWS
) -> None:
    query, variables = operation

    stock = execute(STOCK, query, MemoryAutopilot(page, described), **variables)
    planned = execute(PLANNED, query, MemoryAutopilot(page, described), **variables)
    assert as_json(planned) == as_json(stock)

    # The gateway's schema caches documents and shares plans across requests: the same
    # operation with other variable values must not reuse a plan made for the first ones.
    for values in (variables, {name: not value for name, value in variables.items()}):
        stock = execute(GATEWAY_STOCK, query, MemoryAutopilot(page, described), **values)
        planned = execute(GATEWAY, query, MemoryAutopilot(page, described), **values)
        assert as_json(planned) == as_json(stock)
