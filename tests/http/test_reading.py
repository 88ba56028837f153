"""Pure logic of the HTTP layer: reading operations, persisted operations, ETags and validity."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strawberry.types import ExecutionResult

from gateway.cache import MemoryCache
from gateway.http.caching import cache_control, entity_tag, matches
from gateway.http.errors import RequestError
from gateway.http.operations import (
    Operation,
    decode_json,
    operation_from_query_params,
    operations_from_body,
)
from gateway.http.persisted import PersistedOperations, requested_hash
from gateway.results import ResultCache

QUERY = "{ __typename }"
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()


def refusal(action: object, *args: object, **kwargs: object) -> RequestError:
    assert callable(action)
    with pytest.raises(RequestError) as raised:
        action(*args, **kwargs)
    return raised.value


# Reading operations


def test_a_body_reads_as_one_operation_or_a_batch() -> None:
    body = b'{"query": "{ a }", "variables": {"n": 1}, "operationName": "A", "doc_id": "d"}'
    assert operations_from_body(body, max_batch=2) == Operation(
        query="{ a }", variables={"n": 1}, operation_name="A", document_id="d"
    )
    batch = operations_from_body(b'[{"query": "{ a }"}, {"documentId": "d"}]', max_batch=2)
    assert batch == [Operation(query="{ a }"), Operation(document_id="d")]


def test_nulls_are_absent_members() -> None:
    body = b'{"query": null, "variables": null, "operationName": null, "extensions": null}'
    assert operations_from_body(body, max_batch=1) == Operation()


def test_a_batch_over_the_limit_is_refused_before_its_items_are_read() -> None:
    error = refusal(operations_from_body, b"[1, 2, 3]", max_batch=2)
    assert error.message == "A batch may hold at most 2 operations; this one holds 3."
    assert (error.status, error.code) == (400, "BAD_USER_INPUT")


@given(st.integers(min_value=2**64) | st.integers(max_value=-(2**63) - 1))
def test_integers_beyond_64_bits_are_refused_not_rounded(number: int) -> None:
    error = refusal(decode_json, f'{{"n": {number}}}'.encode(), "The body")
    assert (
        error.message == "The body holds an integer beyond 64 bits (send large numbers as strings)."
    )


@given(st.integers(min_value=-(2**63), max_value=2**64 - 1))
def test_integers_within_64_bits_are_kept_exactly(number: int) -> None:
    assert decode_json(f'{{"n": {number}}}'.encode(), "The body") == {"n": number}


def test_long_digit_runs_inside_strings_are_not_integers() -> None:
    assert decode_json(b'{"s": "123456789012345678901234567890"}', "x") == {
        "s": "123456789012345678901234567890"
    }


def test_query_parameters_read_as_one_operation() -> None:
    params = {"query": "{ a }", "variables": '{"n": 1}', "extensions": "", "id": "d"}
    assert operation_from_query_params(params) == Operation(
        query="{ a }", variables={"n": 1}, document_id="d"
    )
    error = refusal(operation_from_query_params, {"variables": "[]"})
    assert error.message == "The `variables` query parameter must be a JSON object, not an array."


# Persisted operations


def persisted(trusted: dict[str, str] | None = None, *, only: bool = False) -> PersistedOperations:
    store = MemoryCache("test-persisted", max_entries=10, max_bytes=10_000)
    return PersistedOperations(store, trusted or {}, trusted_only=only)


def apq(digest: str = DIGEST, **operation: object) -> Operation:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    return Operation(extensions=extensions, **operation)  # type: ignore[arg-type]


def test_the_hash_is_read_in_either_case() -> None:
    assert requested_hash(apq(DIGEST.upper()).extensions) == DIGEST
    assert requested_hash({"other": 1}) is None


@pytest.mark.parametrize("version", [True, 1.0, "1", 2, None])
def test_only_version_1_is_persisted_queries_version(version: object) -> None:
    with pytest.raises(RequestError, match="only version 1"):
        requested_hash({"persistedQuery": {"version": version, "sha256Hash": DIGEST}})


async def test_a_query_registered_with_its_hash_is_found_by_it() -> None:
    operations = persisted()
    with pytest.raises(RequestError) as unknown:
        await operations.resolve(apq())
    assert (unknown.value.status, unknown.value.code) == (200, "PERSISTED_QUERY_NOT_FOUND")
    assert unknown.value.message == "PersistedQueryNotFound"
    assert await operations.resolve(apq(query=QUERY)) == apq(query=QUERY)
    assert (await operations.resolve(apq(variables={"n": 1}))).query == QUERY


async def test_trusted_only_ignores_registrations_and_refuses_other_text() -> None:
    operations = persisted({"d": QUERY, DIGEST: QUERY}, only=True)
    assert (await operations.resolve(Operation(document_id="d"))).query == QUERY
    assert (await operations.resolve(Operation(query=QUERY))).query == QUERY
    other = "{ b }"
    for operation in [
        Operation(query=other),
        apq(hashlib.sha256(b"{ b }").hexdigest(), query=other),
    ]:
        with pytest.raises(RequestError) as refused:
            await operations.resolve(operation)
        assert refused.value.code == "PERSISTED_QUERY_NOT_ALLOWED"


# ETags, validity and the result cache


def test_etags_are_strong_and_stable() -> None:
    assert entity_tag(b'{"data":1}') == entity_tag(b'{"data":1}') != entity_tag(b'{"data":2}')
    assert entity_tag(b"").startswith('"') and entity_tag(b"").endswith('"')


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ('"a"', True),
        ('W/"a"', True),
        ('"b", "a"', True),
        ('"b",W/"a" ', True),
        ("*", True),
        ('"b"', False),
        ("a", False),
    ],
)
def test_if_none_match_is_matched_weakly(header: str | None, expected: bool) -> None:
    assert matches(header, '"a"') is expected


def test_cache_control_says_how_long_the_data_stays_valid() -> None:
    assert cache_control(299.9) == "private, max-age=299"
    assert cache_control(1.0) == "private, max-age=1"
    assert cache_control(0.5) == "private, no-cache"


async def test_the_result_cache_tells_how_long_a_result_stays_valid() -> None:
    now = [100.0]
    store = MemoryCache("test-validity", max_entries=10, max_bytes=10_000, clock=lambda: now[0])
    results = ResultCache(store, max_ttl=60, clock=lambda: now[0])
    assert await results.put("k", ExecutionResult(data={"a": 1}, errors=None), 300) == 60
    now[0] += 20
    stored = await results.lookup("k")
    assert stored is not None and stored.body == b'{"data":{"a":1}}'
    assert stored.seconds_left == 40
    errors = ExecutionResult(data=None, errors=[])  # type: ignore[arg-type]
    assert await results.put("e", ExecutionResult(data={"a": 1}, errors=[object()]), 300) == 0  # type: ignore[list-item]
    assert await results.put("n", errors, 300) == 0
