"""Requests a careless or hostile client sends: each answered below 500, as a coded GraphQL
error whose message says what to change, by POST and by GET, through real HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.gateway_server import GraphQLClient

PREFLIGHT = {"GraphQL-Require-Preflight": "1", "Accept": "application/json"}

# What Python and its libraries say about themselves; no client should ever read it.
INTERNALS = (
    "Traceback",
    "object of type",
    "has no len()",
    "invalid literal",
    "has no attribute",
    "NoneType",
    "Expecting value",
    "(char ",
    "JSONDecodeError",
    "RecursionError",
    "isoformat string",
    "ISO string",
    "botocore",
    "strawberry",
)


def assert_coded(response: httpx.Response) -> list[dict[str, Any]]:
    """Every answer: below 500, JSON, a code on each error, nothing of the gateway's innards.
    Returns the errors."""
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    results = body if isinstance(body, list) else [body]
    errors = [error for result in results for error in result.get("errors", [])]
    for error in errors:
        assert error["extensions"]["code"], error
        assert isinstance(error["message"], str) and error["message"]
    for internal in INTERNALS:
        assert internal not in response.text, response.text
    return errors


def refused(response: httpx.Response, *fragments: str) -> str:
    """The single BAD_USER_INPUT error of a request refused with 400; its message holds each
    of ``fragments``."""
    errors = assert_coded(response)
    assert response.status_code == 400, response.text
    assert [error["extensions"]["code"] for error in errors] == ["BAD_USER_INPUT"]
    message: str = errors[0]["message"]
    for fragment in fragments:
        assert fragment in message, message
    return message


def post_raw(gateway: GraphQLClient, body: bytes | str) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return gateway.http.post(
        "/graphql", content=content, headers={"Content-Type": "application/json"}
    )


def get(gateway: GraphQLClient, **params: str) -> httpx.Response:
    return gateway.http.get("/graphql", params=params, headers=PREFLIGHT)


@pytest.mark.parametrize(
    ("body", "kind"),
    [("1", "a number"), ('"{ __typename }"', "a string"), ("true", "a boolean"), ("null", "null")],
)
def test_a_body_that_is_not_an_operation_says_what_to_send(
    gateway: GraphQLClient, body: str, kind: str
) -> None:
    refused(post_raw(gateway, body), f"The request body is {kind}", "`query` string")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("[1]", "Operation 1 of the batch is a number"),
        ('[{"query": "{ __typename }"}, []]', "Operation 2 of the batch is an array"),
        ('[{"query": "{ __typename }"}, null]', "Operation 2 of the batch is null"),
        ("[]", "empty array"),
        (json.dumps([{"query": "{ __typename }"}] * 11), "at most 10 operations"),
    ],
)
def test_a_batch_holds_only_operations(gateway: GraphQLClient, body: str, fragment: str) -> None:
    refused(post_raw(gateway, body), fragment)


@pytest.mark.parametrize(
    ("member", "value", "fragment"),
    [
        ("query", 1, "`query` must be a string (the GraphQL document), not a number"),
        ("variables", [], "`variables` must be an object, not an array"),
        ("variables", "{}", "`variables` must be an object, not a string"),
        ("operationName", 7, "`operationName` must be a string, not a number"),
        ("extensions", True, "`extensions` must be an object, not a boolean"),
    ],
)
def test_members_of_the_wrong_type_are_named(
    gateway: GraphQLClient, member: str, value: object, fragment: str
) -> None:
    payload = {"query": "{ __typename }", member: value}
    refused(post_raw(gateway, json.dumps(payload)), fragment)
    batch = [{"query": "{ __typename }"}, payload]
    expected = fragment.replace(f"`{member}` must", f"`{member}` of operation 2 must")
    refused(post_raw(gateway, json.dumps(batch)), expected)


DEEP = "[" * 5000 + "]" * 5000
JSON_THE_PARSER_REFUSES = [
    ('{"query": "{ __typename }", "variables": {"a": ' + DEEP + "}}", "1024 levels"),
    ('{"query": "{ __typename }", "variables": {"n": 36893488147419103232}}', "64 bits"),
    ('{"query": "{ __typename }", "variables": {"s": "\\ud800"}}', "surrogate"),
    ('{"query": "{ __typename }", "variables": {"n": 1e999}}', "too large for a 64-bit float"),
    ('{"query": "{ __typename }"', "not valid JSON (line 1, column"),
    ("", "is empty"),
]


@pytest.mark.parametrize(("body", "fragment"), JSON_THE_PARSER_REFUSES)
def test_json_the_parser_refuses_is_bad_user_input_by_post(
    gateway: GraphQLClient, body: str, fragment: str
) -> None:
    refused(post_raw(gateway, body), "The request body", fragment)


def test_invalid_utf8_is_bad_user_input(gateway: GraphQLClient) -> None:
    refused(post_raw(gateway, b'{"query": "\xff"}'), "The request body is not valid UTF-8")


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("variables", '{"a": ' + DEEP + "}", "1024 levels"),
        ("variables", '{"n": 36893488147419103232}', "64 bits"),
        ("variables", '{"s": "\\udfff"}', "surrogate"),
        ("variables", "{nope", "not valid JSON"),
        ("variables", "[1]", "must be a JSON object, not an array"),
        ("extensions", "1", "must be a JSON object, not a number"),
        ("extensions", '{"a": ', "not valid JSON"),
    ],
)
def test_get_parameters_are_named_in_their_errors(
    gateway: GraphQLClient, name: str, text: str, fragment: str
) -> None:
    response = get(gateway, query="{ __typename }", **{name: text})
    refused(response, f"The `{name}` query parameter", fragment)


def test_a_get_without_a_query_says_what_to_send(gateway: GraphQLClient) -> None:
    refused(get(gateway, variables="{}"), "`query`", "`documentId`")
    refused(get(gateway, operationName="Q"), "`query`")


def test_a_well_formed_get_still_runs(gateway: GraphQLClient) -> None:
    query = "query ($n: Int) { autoMLJobs(first: $n) { edges { cursor } } }"
    response = get(gateway, query=query, variables='{"n": 1}')
    assert response.status_code == 200
    assert len(response.json()["data"]["autoMLJobs"]["edges"]) == 1


JOBS_AFTER = """query ($after: DateTime) {
  autoMLJobs(first: 1, creationTimeAfter: $after) { edges { node { autoMLJobName } } }
}"""


@pytest.mark.parametrize("value", ["2026-13-01T00:00:00Z", "ab", "2026-05-01Tnoon", "", 20260501])
def test_a_malformed_datetime_says_which_format_is_expected(
    gateway: GraphQLClient, value: object
) -> None:
    response = gateway.http.post(
        "/graphql", json={"query": JOBS_AFTER, "variables": {"after": value}}
    )
    (error,) = assert_coded(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "ISO 8601 date and time" in error["message"], error
    assert "2026-05-01T12:00:00Z" in error["message"]


def test_a_malformed_datetime_literal_says_which_format_is_expected(gateway: GraphQLClient) -> None:
    query = '{ autoMLJobs(first: 1, creationTimeAfter: "yesterday") { edges { cursor } } }'
    (error,) = assert_coded(gateway.http.post("/graphql", json={"query": query}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "ISO 8601 date and time" in error["message"], error


def test_a_wellformed_datetime_still_filters(gateway: GraphQLClient) -> None:
    data = gateway.data(JOBS_AFTER, after="2000-01-01T00:00:00Z")
    assert data["autoMLJobs"]["edges"]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("{}", "must select at least one field"),
        ('{ autoMLJob(name: "x") { } }', "must select at least one field"),
        ("{ ...Nope }", "Unknown fragment 'Nope'"),
    ],
)
def test_documents_the_depth_limiter_cannot_measure_are_refused_with_graphqls_words(
    gateway: GraphQLClient, query: str, fragment: str
) -> None:
    errors = assert_coded(gateway.http.post("/graphql", json={"query": query}))
    assert errors and all(error["extensions"]["code"] == "BAD_USER_INPUT" for error in errors)
    assert any(fragment in error["message"] for error in errors), errors


def test_other_methods_are_refused_with_a_code(gateway: GraphQLClient) -> None:
    response = gateway.http.head("/graphql", params={"query": "{ __typename }"}, headers=PREFLIGHT)
    assert response.status_code == 405
    for method in ["PUT", "DELETE", "PATCH"]:
        response = gateway.http.request(method, "/graphql", json={"query": "{ __typename }"})
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"
        (error,) = assert_coded(response)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"query": "fragment F on Query { __typename }"}, "no operation to run, only fragments"),
        ({"query": "query A { __typename }", "operationName": "B"}, "no operation named 'B'"),
        ({"query": "   "}, "send the GraphQL document as `query`"),
    ],
)
def test_documents_strawberry_cannot_run_say_what_to_change(
    gateway: GraphQLClient, payload: dict[str, str], fragment: str
) -> None:
    refused(post_raw(gateway, json.dumps(payload)), fragment)
    refused(get(gateway, **payload), fragment)


def test_a_mutation_by_get_is_told_to_use_post(gateway: GraphQLClient) -> None:
    refused(get(gateway, query="mutation { x }"), "A mutation cannot be sent with GET", "POST")
