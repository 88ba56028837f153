"""When planned execution completes an object itself, and when it leaves it to graphql-core.

Each case runs one small schema through the planned and the stock execution context: the
answers must be the same JSON, and the objects graphql-core completed itself must be exactly
the ones the case says fall back.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.schema.execution import PlannedExecutionContext


@strawberry.enum
class Kind(Enum):
    SMALL = "small"
    LARGE = "large"


@strawberry.enum
class Other(Enum):
    SMALL = "small"


@strawberry.type
class Leaf:
    name: str
    score: float | None = None
    count: int | None = None
    kind: Kind | None = None
    at: datetime | None = None


@strawberry.type
class Labelled:
    label: str

    @strawberry.field
    def shout(self) -> str:
        return self.label.upper()


@strawberry.interface
class Named:
    title: str


@strawberry.type
class Book(Named):
    pages: int


@strawberry.type
class Checked:
    value: str

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, Checked)


@strawberry.type
class Root:
    leaves: list[Leaf]
    labelled: Labelled | None = None
    named: Named | None = None
    checked: Checked | None = None


ROOT: list[Root] = []


@strawberry.type
class Query:
    @strawberry.field
    def root(self) -> Root:
        return ROOT[0]


class Resolving(SchemaExtension):
    """An extension that wraps every field's resolution (a middleware)."""

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        return _next(root, info, *args, **kwargs)


def schemas(**options: Any) -> tuple[strawberry.Schema, strawberry.Schema]:
    planned = strawberry.Schema(
        query=Query, types=[Book], execution_context_class=PlannedExecutionContext, **options
    )
    stock = strawberry.Schema(query=Query, types=[Book], **options)
    return planned, stock


PLANNED, STOCK = schemas()


@pytest.fixture
def stock_completions(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """The objects the planned context left to graphql-core, by type name."""
    counted: Counter[str] = Counter()
    complete = StrawberryGraphQLCoreExecutionContext.complete_object_value

    def counting(self: Any, return_type: Any, *args: Any) -> Any:
        if isinstance(self, PlannedExecutionContext):
            counted[return_type.name] += 1
        return complete(self, return_type, *args)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "complete_object_value", counting)
    yield counted


def run(schema: strawberry.Schema, query: str, root: Root) -> str:
    ROOT[:] = [root]
    result = asyncio.run(schema.execute(query))
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return json.dumps(body)


def same_answers(
    query: str, root: Callable[[], Root], schemas: tuple[strawberry.Schema, ...] = (PLANNED, STOCK)
) -> str:
    planned, stock = (run(schema, query, root()) for schema in schemas)
    assert planned == stock
    return planned


LEAVES = "{ root { leaves { __typename name n: name score count kind at } } }"


def leaves(*items: Leaf) -> Callable[[], Root]:
    return lambda: Root(leaves=list(items))


def test_plain_data_is_completed_without_graphql_core(stock_completions: Counter[str]) -> None:
    at = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=2)))
    answer = same_answers(
        LEAVES,
        leaves(Leaf(name="a", score=0.5, count=-(2**31), kind=Kind.LARGE, at=at), Leaf(name="b")),
    )
    assert json.loads(answer)["data"]["root"]["leaves"][0] == {
        "__typename": "Leaf",
        "name": "a",
        "n": "a",
        "score": 0.5,
        "count": -(2**31),
        "kind": "LARGE",
        "at": "2024-05-06T07:08:09.123456+02:00",
    }
    assert stock_completions == Counter()


@pytest.mark.parametrize(
    "bad",
    [
        Leaf(name=None),  # type: ignore[arg-type]
        Leaf(name="x", score=math.nan),
        Leaf(name="x", score=math.inf),
        Leaf(name="x", score=-math.inf),
        Leaf(name="x", count=2**31),
        Leaf(name="x", count=-(2**31) - 1),
        Leaf(name="x", kind=Other.SMALL),  # type: ignore[arg-type]
        Leaf(name="x", kind="small"),  # type: ignore[arg-type]
        Leaf(name="x", at="not a datetime"),  # type: ignore[arg-type]
    ],
    ids=repr,
)
def test_a_value_the_plan_refuses_leaves_only_its_object_to_graphql_core(
    bad: Leaf, stock_completions: Counter[str]
) -> None:
    same_answers(LEAVES, leaves(Leaf(name="ok"), bad, Leaf(name="ok")))
    # the page fell back, then its list, then the one bad leaf; the good leaves stayed planned
    assert stock_completions == Counter({"Root": 1, "Leaf": 1})


@pytest.mark.parametrize(
    "converted",
    [
        Leaf(name=7),  # type: ignore[arg-type]
        Leaf(name=True),  # type: ignore[arg-type]
        Leaf(name="x", score=True),  # type: ignore[arg-type]
        Leaf(name="x", score=3),  # type: ignore[arg-type]
        Leaf(name="x", count=2.0),  # type: ignore[arg-type]
    ],
    ids=repr,
)
def test_a_value_its_serializer_converts_is_converted_by_that_serializer(
    converted: Leaf, stock_completions: Counter[str]
) -> None:
    same_answers(LEAVES, leaves(converted))
    assert stock_completions == Counter()


def test_an_awaitable_value_is_awaited_by_graphql_core(stock_completions: Counter[str]) -> None:
    async def later() -> str:
        return "later"

    same_answers(LEAVES, lambda: Root(leaves=[Leaf(name=later())]))  # type: ignore[arg-type]
    assert stock_completions == Counter({"Root": 1, "Leaf": 1})


def test_a_resolver_field_leaves_its_object_to_graphql_core(
    stock_completions: Counter[str],
) -> None:
    same_answers(
        "{ root { labelled { label shout } } }",
        lambda: Root(leaves=[], labelled=Labelled(label="hi")),
    )
    assert stock_completions == Counter({"Root": 1, "Labelled": 1})
    stock_completions.clear()
    same_answers(
        "{ root { labelled { label } } }", lambda: Root(leaves=[], labelled=Labelled(label="hi"))
    )
    assert stock_completions == Counter()


def test_an_abstract_type_is_resolved_by_graphql_core_and_its_object_planned(
    stock_completions: Counter[str],
) -> None:
    same_answers(
        "{ root { named { title ... on Book { pages } } } }",
        lambda: Root(leaves=[], named=Book(title="t", pages=3)),
    )
    assert stock_completions == Counter({"Root": 1})


def test_a_type_with_its_own_is_type_of_is_left_to_graphql_core(
    stock_completions: Counter[str],
) -> None:
    same_answers(
        "{ root { checked { value } } }", lambda: Root(leaves=[], checked=Checked(value="v"))
    )
    assert stock_completions == Counter({"Root": 1, "Checked": 1})


def test_an_object_of_another_class_is_refused_by_is_type_of(
    stock_completions: Counter[str],
) -> None:
    @dataclass
    class Lookalike:
        value: str

    same_answers(
        "{ root { checked { value } } }",
        lambda: Root(leaves=[], checked=Lookalike(value="v")),  # type: ignore[arg-type]
    )


def test_an_extension_that_wraps_resolution_turns_plans_off(
    stock_completions: Counter[str],
) -> None:
    resolving = schemas(extensions=[Resolving])
    same_answers(LEAVES, leaves(Leaf(name="a"), Leaf(name="b")), resolving)
    assert stock_completions == Counter({"Root": 1, "Leaf": 2})


def test_datetimes_keep_their_zone_and_precision(stock_completions: Counter[str]) -> None:
    moments = [
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 1, 12, 30),
        datetime(2024, 1, 1, 12, 30, 0, 1, tzinfo=timezone(timedelta(hours=-7, minutes=-30))),
    ]
    same_answers(LEAVES, leaves(*(Leaf(name="t", at=moment) for moment in moments)))
    assert stock_completions == Counter()
