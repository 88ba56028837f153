"""A repeated operation is parsed, validated and planned once; errors stay as they were."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import strawberry.schema.schema as strawberry_schema
from graphql import DocumentNode
from strawberry import Schema
from strawberry.extensions import SchemaExtension
from strawberry.extensions.validation_cache import _get_validate_cache

from gateway.schema import CACHED_OPERATIONS, build_schema
from gateway.schema.documents import LRU
from gateway.schema.plans import PlanBuilder
from gateway.settings import Settings
from tests.schema.memory import MemoryAutopilot, execute

SETTINGS = Settings(auth_mode="none", max_query_depth=4, max_aliases=3, max_tokens=60)
OPERATION = """
query Page($more: Boolean!) {
  first: candidates(jobName: "j", first: 2) {
    edges { node { candidateName candidateStatus @include(if: $more) } }
  }
}
"""
CANDIDATE = {"CandidateName": "c-1", "CandidateStatus": "Completed"}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How often Strawberry called graphql-core's parse and validate."""
    counted: Counter[str] = Counter()

    def counting(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            counted[name] += 1
            return function(*args, **kwargs)

        return call

    for name in ("parse", "validate"):
        monkeypatch.setattr(
            strawberry_schema, name, counting(name, getattr(strawberry_schema, name))
        )
    yield counted


def run(schema: Schema, query: str, **variables: Any) -> dict[str, Any]:
    return execute(schema, query, MemoryAutopilot([CANDIDATE]), **variables)


def test_a_repeated_operation_is_parsed_and_validated_once(calls: Counter[str]) -> None:
    schema = build_schema(SETTINGS)
    validations = _get_validate_cache(CACHED_OPERATIONS)
    before = validations.cache_info()
    answers = [run(schema, OPERATION, more=more) for more in (True, False, True, False, True)]
    after = validations.cache_info()

    assert calls == Counter({"parse": 1, "validate": 1})
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 4)
    assert answers[0]["data"]["first"]["edges"][0]["node"] == {
        "candidateName": "c-1",
        "candidateStatus": "COMPLETED",
    }
    assert answers[1]["data"]["first"]["edges"][0]["node"] == {"candidateName": "c-1"}
    assert answers[0] == answers[2] == answers[4] and answers[1] == answers[3]


def test_a_repeated_operation_is_planned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    object_plan = PlanBuilder.object_plan

    def counting(self: PlanBuilder, object_type: Any, details: Any) -> Any:
        built.append(object_type.name)
        return object_plan(self, object_type, details)

    monkeypatch.setattr(PlanBuilder, "object_plan", counting)
    schema = build_schema(SETTINGS)
    run(schema, OPERATION, more=True)
    planned = list(built)
    assert planned == ["CandidateConnection", "CandidateEdge", "Candidate"]
    run(schema, OPERATION, more=True)
    assert built == planned  # the second request found the first one's plan
    run(schema, OPERATION, more=False)
    assert built == planned * 2  # other @include values collect other fields: a plan of its own


def test_syntax_errors_keep_their_code_and_are_not_cached(calls: Counter[str]) -> None:
    schema = build_schema(SETTINGS)
    for _ in range(2):
        [error] = run(schema, "{ candidates(")["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"].startswith("Syntax Error")
    assert calls["parse"] == 2


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            '{ candidates(jobName: "j") { edges { node { candidateProperties '
            "{ candidateArtifactLocations { explainability } } } } } }",
            "'anonymous' exceeds maximum operation depth of 4",
        ),
        (
            "{ a: __typename b: __typename c: __typename d: __typename }",
            "4 aliases found. Allowed: 3",
        ),
        ("{ " + "__typename " * 60 + "}", "Document contains more than 60 tokens"),
    ],
)
def test_limits_refuse_an_operation_every_time_with_their_own_message(
    query: str, message: str
) -> None:
    schema = build_schema(SETTINGS)
    for _ in range(3):
        body = run(schema, query)
        assert body["data"] is None
        [error] = body["errors"]
        assert message in error["message"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_the_limit_rules_are_built_once_per_schema() -> None:
    schema = build_schema(SETTINGS)
    seen: set[tuple[Any, ...]] = set()

    class Rules(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            seen.add(self.execution_context.validation_rules)
            yield

    schema.extensions = [*schema.extensions, Rules]
    for _ in range(3):
        run(schema, OPERATION, more=True)
    assert len(seen) == 1


def test_the_cache_of_documents_and_plans_is_bounded_and_keeps_the_most_recent() -> None:
    documents: LRU[str, DocumentNode] = LRU(maxsize=2)
    made = {key: DocumentNode(definitions=()) for key in "abc"}
    for key in "abc":
        documents.put(key, made[key])
    assert len(documents) == 2
    assert documents.get("a") is None
    assert documents.get("b") is made["b"]
    documents.put("d", DocumentNode(definitions=()))
    assert documents.get("c") is None  # b was used more recently than c
    assert documents.get("b") is made["b"]
    assert (documents.hits, documents.misses) == (2, 2)


def test_without_settings_nothing_is_cached(calls: Counter[str]) -> None:
    schema = build_schema()
    for _ in range(2):
        asyncio.run(schema.execute("{ __typename }"))
    assert calls == Counter({"parse": 2, "validate": 2})
