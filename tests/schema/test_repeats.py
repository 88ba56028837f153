"""Which subscriptions drop identical repeats, and how (pure logic, no I/O)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from graphql import GraphQLError
from strawberry.types import ExecutionResult

from gateway.schema.subscriptions import repeat_free, without_repeats

BOARD = 'leaderboardUpdates(jobName: "j") { totalCount }'


def test_only_leaderboard_subscriptions_are_repeat_free() -> None:
    assert repeat_free(f"subscription {{ {BOARD} }}", None)
    assert repeat_free(f"subscription {{ a: {BOARD} b: {BOARD} }}", None)
    assert repeat_free(f"query Q {{ x }} subscription S {{ {BOARD} }}", "S")
    # events may repeat for a client that selects little: two ADDED are two candidates
    assert not repeat_free('subscription { candidateEvents(jobName: "j") { kind } }', None)
    mixed = f'subscription {{ {BOARD} candidateEvents(jobName: "j") {{ kind }} }}'
    assert not repeat_free(mixed, None)
    assert not repeat_free(
        f"subscription {{ ...F }} fragment F on Subscription {{ {BOARD} }}", None
    )
    assert not repeat_free(f"subscription {{ {BOARD}", None)  # Strawberry reports the syntax
    assert not repeat_free(f"subscription A {{ {BOARD} }} subscription B {{ {BOARD} }}", None)
    assert not repeat_free(None, None)


async def results(*items: ExecutionResult) -> AsyncGenerator[Any, None]:
    for item in items:
        yield item


async def test_identical_data_is_dropped_errors_never() -> None:
    one, two = {"b": {"totalCount": 1}}, {"b": {"totalCount": 2}}
    error = ExecutionResult(data=None, errors=[GraphQLError("boom")])
    stream = results(
        ExecutionResult(one, None),
        ExecutionResult(dict(one), None),
        ExecutionResult(two, None),
        ExecutionResult(one, None),
        error,
        error,
    )
    sent = [item async for item in without_repeats(stream)]
    assert [item.data for item in sent] == [one, two, one, None, None]
