"""Validation rules that bound an operation: its depth and aliases, built once.

Strawberry's depth limiter measures the document when its rule is created, and breaks on
documents other rules refuse anyway: a fragment spread of an unknown fragment (a KeyError),
and an empty selection set (``max()`` of nothing), which graphql-core 3.3 parses by default.
:func:`depth_rule` lets those through to the rules that refuse them with GraphQL's own
messages, and :class:`SelectsSomething` refuses empty selection sets, so nothing escapes the
limit and no Python exception text reaches a client.
"""

from __future__ import annotations

from typing import Any

from graphql import ASTValidationRule, GraphQLError, SelectionSetNode, ValidationContext
from strawberry.extensions import max_aliases, query_depth_limiter


class SelectsSomething(ASTValidationRule):
    def enter_selection_set(self, node: SelectionSetNode, *_: Any) -> None:
        if not node.selections:
            self.report_error(
                GraphQLError(
                    "A selection set must select at least one field: `{}` selects nothing.",
                    node,
                )
            )


def depth_rule(max_depth: int) -> type[ASTValidationRule]:
    limiter = query_depth_limiter.create_validator(max_depth, should_ignore=None)

    class DepthLimit(limiter):  # type: ignore[valid-type, misc]
        def __init__(self, context: ValidationContext) -> None:
            try:
                super().__init__(context)
            except (KeyError, ValueError):  # refused by KnownFragmentNames, SelectsSomething
                ASTValidationRule.__init__(self, context)

    return DepthLimit


def limit_rules(max_depth: int, max_alias_count: int) -> list[type[ASTValidationRule]]:
    """The rules, built once: validation results are cached by their rules, so rules built
    per request would never hit the cache."""
    return [SelectsSomething, depth_rule(max_depth), max_aliases.create_validator(max_alias_count)]
