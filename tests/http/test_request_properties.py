"""Arbitrary JSON values and bytes, as POST bodies and as GET query strings, through real HTTP:
every answer is below 500, JSON, with a code on every error and nothing of the gateway's
innards, and what is not a GraphQL request at all is refused with a 4xx."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import quote_from_bytes, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.gateway_server import GraphQLClient
from tests.http.test_bad_requests import PREFLIGHT, assert_coded

MEMBERS = ["query", "variables", "operationName", "extensions", "documentId", "doc_id", "id"]
QUERIES = [
    "{ __typename }",
    "query Q($n: Int) { __typename }",
    "{ autoMLJobs(first: 1) { edges { node { autoMLJobName } } } }",
    '{ autoMLJob(name: "customer-churn-xgb") { autoMLJobStatus } }',
    "{ nope }",
    "{",
    "{}",
    "{ ...Nope }",
    '{ autoMLJob(name: "x") { } }',
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: beyond 64 bits too
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
members = st.sampled_from(QUERIES) | json_values
hashes = st.sampled_from([hashlib.sha256(query.encode()).hexdigest() for query in QUERIES])
persisted = st.fixed_dictionaries(
    {
        "persistedQuery": st.fixed_dictionaries(
            {"version": st.just(1) | json_values, "sha256Hash": hashes | json_values}
        )
    }
)
operations = st.dictionaries(st.sampled_from(MEMBERS), members | persisted, max_size=4)
bodies = operations | st.lists(operations | json_values, max_size=3) | json_values

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def is_operation_shaped(value: Any) -> bool:
    """An object whose members have the types GraphQL over HTTP gives them."""
    kinds = {"query": str, "variables": dict, "operationName": str, "extensions": dict}
    return isinstance(value, dict) and all(
        value.get(name) is None or isinstance(value[name], kind) for name, kind in kinds.items()
    )


def is_graphql_request(value: Any) -> bool:
    if isinstance(value, list):
        return 0 < len(value) <= 10 and all(is_operation_shaped(item) for item in value)
    return is_operation_shaped(value)


def post(gateway: GraphQLClient, body: bytes) -> Any:
    return gateway.http.post("/graphql", content=body, headers={"Content-Type": "application/json"})


@SETTINGS
@given(value=bodies)
def test_any_json_body_is_answered_with_codes(gateway: GraphQLClient, value: Any) -> None:
    response = post(gateway, json.dumps(value).encode())
    assert_coded(response)
    if not is_graphql_request(value):
        assert 400 <= response.status_code < 500, (value, response.text)


@SETTINGS
@given(body=st.binary(max_size=64) | bodies.map(lambda v: json.dumps(v).encode()[:-1]))
def test_any_bytes_as_a_body_are_answered_with_codes(gateway: GraphQLClient, body: bytes) -> None:
    response = post(gateway, body)
    assert_coded(response)
    try:
        value = json.loads(body)
    except ValueError:
        assert 400 <= response.status_code < 500, (body, response.text)
    else:
        if not is_graphql_request(value):
            assert 400 <= response.status_code < 500, (body, response.text)


def as_parameter(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@SETTINGS
@given(params=st.dictionaries(st.sampled_from(MEMBERS), members.map(as_parameter), max_size=4))
def test_any_query_parameters_are_answered_with_codes(
    gateway: GraphQLClient, params: dict[str, str]
) -> None:
    response = gateway.http.get("/graphql?" + urlencode(params), headers=PREFLIGHT)
    assert_coded(response)
    if not params.keys() & {"query", "documentId", "doc_id", "id", "extensions"}:
        assert 400 <= response.status_code < 500, (params, response.text)


def percent_encoded(pairs: list[tuple[bytes, bytes]]) -> str:
    return "&".join(quote_from_bytes(name) + "=" + quote_from_bytes(value) for name, value in pairs)


names = st.sampled_from(MEMBERS).map(str.encode) | st.binary(max_size=6)
query_strings = st.lists(st.tuples(names, st.binary(max_size=40)), max_size=4).map(
    percent_encoded
) | st.binary(max_size=64).map(lambda raw: quote_from_bytes(raw, safe="=&"))


@SETTINGS
@given(query_string=query_strings)
def test_any_bytes_in_a_query_string_are_answered_with_codes(
    gateway: GraphQLClient, query_string: str
) -> None:
    """Any bytes, percent-encoded as a client must: invalid UTF-8, NULs, lone separators."""
    response = gateway.http.get("/graphql?" + query_string, headers=PREFLIGHT)
    assert_coded(response)
