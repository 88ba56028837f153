"""Bad input and upstream failures: coded GraphQL errors, never a trace or AWS internals."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.settings import Settings
from tests.gateway_server import GraphQLClient, running_gateway

CANDIDATES = """
query ($job: String!, $first: Int, $after: String, $status: CandidateStatus,
       $name: String, $sortBy: CandidateSortBy) {
  candidates(jobName: $job, first: $first, after: $after, statusEquals: $status,
             candidateNameEquals: $name, sortBy: $sortBy) {
    edges { cursor node { candidateName } }
    pageInfo { endCursor }
  }
}
"""
JOB = "query ($name: String!) { autoMLJob(name: $name) { autoMLJobName } }"

LEAKS = ("Traceback", "botocore", "ClientError", "ResourceNotFound", "ValidationException", "http")


def assert_clean(error: dict[str, Any]) -> None:
    text = repr(error)
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} leaked into {error}"
    assert set(error.get("extensions", {})) == {"code", "requestId"}


def test_unknown_job_is_not_found(gateway: GraphQLClient) -> None:
    error = gateway.error(CANDIDATES, job="no-such-job")
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert "no-such-job" in error["message"]
    assert_clean(error)

    body = gateway.post(JOB, name="no-such-job")
    assert body["data"] == {"autoMLJob": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert body["errors"][0]["path"] == ["autoMLJob"]
    assert_clean(body["errors"][0])


@pytest.mark.parametrize("name", ["", "bad_name", "-leading", "trailing-", "a" * 33, "spa ce"])
def test_invalid_job_names_are_bad_user_input(gateway: GraphQLClient, name: str) -> None:
    for query, variables in [(CANDIDATES, {"job": name}), (JOB, {"name": name})]:
        error = gateway.post(query, **variables)["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "not a valid AutoML job name" in error["message"]
        assert_clean(error)


@pytest.mark.parametrize("first", [-1, 1001, 2**31 - 1])
def test_first_out_of_range_is_bad_user_input(
    gateway: GraphQLClient, big_job: str, first: int
) -> None:
    error = gateway.error(CANDIDATES, job=big_job, first=first)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "`first` must be between 0 and 1000" in error["message"]


def test_candidate_name_filter_must_fit_sagemakers_limit(
    gateway: GraphQLClient, big_job: str
) -> None:
    for name in ["", "x" * 65]:
        error = gateway.error(CANDIDATES, job=big_job, name=name)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_unknown_status_cannot_be_a_filter(gateway: GraphQLClient, big_job: str) -> None:
    error = gateway.error(CANDIDATES, job=big_job, status="UNKNOWN")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("cursor", ["", "nonsense", "v1:bm90IGpzb24", "v1:WzEsMiwzXQ"])
def test_malformed_cursors_are_bad_user_input(
    gateway: GraphQLClient, big_job: str, cursor: str
) -> None:
    error = gateway.error(CANDIDATES, job=big_job, after=cursor)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Restart paging" in error["message"]
    assert_clean(error)


def test_a_cursor_from_another_job_filter_or_sort_is_refused(
    gateway: GraphQLClient, big_job: str, demo_jobs: list[str]
) -> None:
    page = gateway.data(CANDIDATES, job=big_job, first=3)["candidates"]
    cursor = page["pageInfo"]["endCursor"]
    other_job = next(job for job in demo_jobs if job != big_job)
    for variables in [
        {"job": other_job},
        {"job": big_job, "status": "FAILED"},
        {"job": big_job, "sortBy": "STATUS"},
        {"job": big_job, "name": page["edges"][0]["node"]["candidateName"]},
    ]:
        error = gateway.error(CANDIDATES, after=cursor, **variables)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "different job, filter or sort" in error["message"]


def test_graphql_syntax_and_validation_errors_are_bad_user_input(gateway: GraphQLClient) -> None:
    for query in ["{ candidates(", "{ candidates(jobName: 1) { edges { cursor } } }", "{ nope }"]:
        error = gateway.error(query)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_an_enum_variable_of_the_wrong_value_is_bad_user_input(
    gateway: GraphQLClient, big_job: str
) -> None:
    error = gateway.error(CANDIDATES, job=big_job, status="Completed")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.fixture(scope="module")
def unreachable_gateway() -> Iterator[GraphQLClient]:
    """A gateway whose SageMaker endpoint refuses connections."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings = Settings(
        auth_mode="none",
        sagemaker_endpoint_url=f"http://127.0.0.1:{closed_port}",
        sagemaker_max_attempts=1,
        sagemaker_connect_timeout_seconds=1,
    )
    with running_gateway(settings) as url:
        yield GraphQLClient(url)


def test_unreachable_sagemaker_is_upstream_unavailable(
    unreachable_gateway: GraphQLClient,
) -> None:
    for query, variables in [(CANDIDATES, {"job": "customer-churn"}), (JOB, {"name": "x"})]:
        error = unreachable_gateway.post(query, **variables)["errors"][0]
        assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
        assert str(unreachable_gateway.http.base_url.port) not in error["message"]
        assert_clean(error)
