"""Candidates through real HTTP: GraphQL client -> gateway -> aioboto3 -> local SageMaker."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.aws_shapes import CANDIDATE_FIELDS, graphql_value, screaming_snake, shape, without_nulls
from tests.gateway_server import GraphQLClient

ALL_FIELDS = (
    CANDIDATE_FIELDS
    + """
query ($job: String!, $first: Int, $after: String) {
  candidates(jobName: $job, first: $first, after: $after) {
    edges { cursor node { ...AllCandidateFields } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
)

NAMES = """
query ($job: String!, $first: Int, $after: String, $status: CandidateStatus,
       $name: String, $sortBy: CandidateSortBy, $sortOrder: SortOrder) {
  candidates(jobName: $job, first: $first, after: $after, statusEquals: $status,
             candidateNameEquals: $name, sortBy: $sortBy, sortOrder: $sortOrder) {
    edges { cursor node { candidateName } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def upstream_candidates(client: Any, job: str, **filters: str) -> list[dict[str, Any]]:
    pages = client.get_paginator("list_candidates_for_auto_ml_job").paginate(
        AutoMLJobName=job, PaginationConfig={"PageSize": 300}, **filters
    )
    return [candidate for page in pages for candidate in page["Candidates"]]


def walk(gateway: GraphQLClient, first: int, **arguments: Any) -> list[str]:
    """Follow endCursor to the end, checking pageInfo on every page."""
    names: list[str] = []
    after = None
    while True:
        page = gateway.data(NAMES, first=first, after=after, **arguments)["candidates"]
        edges = page["edges"]
        info = page["pageInfo"]
        assert len(edges) <= first
        assert info["hasPreviousPage"] is (after is not None)
        assert info["startCursor"] == (edges[0]["cursor"] if edges else None)
        assert info["endCursor"] == (edges[-1]["cursor"] if edges else None)
        names.extend(edge["node"]["candidateName"] for edge in edges)
        if not info["hasNextPage"]:
            return names
        assert len(edges) == first, "a page short of `first` must be the last"
        after = info["endCursor"]


def test_every_field_of_every_demo_candidate_equals_boto3(
    gateway: GraphQLClient, sagemaker_client: Any, demo_jobs: list[str]
) -> None:
    candidate_shape = shape("AutoMLCandidate")
    for job in demo_jobs:
        expected = [
            graphql_value(c, candidate_shape) for c in upstream_candidates(sagemaker_client, job)
        ]
        page = gateway.data(ALL_FIELDS, job=job, first=1000)["candidates"]
        actual = [without_nulls(edge["node"]) for edge in page["edges"]]
        assert actual == expected, job
        assert page["pageInfo"]["hasNextPage"] is False


SORT_KEYS = ["CreationTime", "Status", "FinalObjectiveMetricValue"]
SORTS = [(None, None), *itertools.product(SORT_KEYS, ["Ascending", "Descending"])]


@pytest.mark.parametrize("first", [7, 100, 300, 1000])
@pytest.mark.parametrize(("sort_by", "sort_order"), SORTS)
def test_walks_equal_the_upstream_order_for_every_sort(
    gateway: GraphQLClient,
    sagemaker_client: Any,
    big_job: str,
    first: int,
    sort_by: str | None,
    sort_order: str | None,
) -> None:
    sort = {"SortBy": sort_by, "SortOrder": sort_order} if sort_by else {}
    expected = [c["CandidateName"] for c in upstream_candidates(sagemaker_client, big_job, **sort)]
    assert len(expected) == 250

    names = walk(
        gateway,
        first,
        job=big_job,
        sortBy=screaming_snake(sort_by) if sort_by else None,
        sortOrder=screaming_snake(sort_order) if sort_order else None,
    )
    assert names == expected


@pytest.mark.parametrize("first", [1, 7, 100, 300, 1000])
@pytest.mark.parametrize("status", ["Completed", "Failed", "Stopped", "InProgress"])
@pytest.mark.parametrize(
    ("sort_by", "sort_order"), [(None, None), ("FinalObjectiveMetricValue", "Descending")]
)
def test_walks_with_a_status_filter(
    gateway: GraphQLClient,
    sagemaker_client: Any,
    demo_jobs: list[str],
    first: int,
    status: str,
    sort_by: str | None,
    sort_order: str | None,
) -> None:
    sort = {"SortBy": sort_by, "SortOrder": sort_order} if sort_by else {}
    for job in demo_jobs:
        expected = [
            c["CandidateName"]
            for c in upstream_candidates(sagemaker_client, job, StatusEquals=status, **sort)
        ]
        if first == 1 and len(expected) > 40:
            continue  # single-item walks are covered on the smaller result sets
        names = walk(
            gateway,
            first,
            job=job,
            status=screaming_snake(status),
            sortBy=screaming_snake(sort_by) if sort_by else None,
            sortOrder=screaming_snake(sort_order) if sort_order else None,
        )
        assert names == expected, (job, status)


@pytest.mark.slow
def test_a_full_single_item_walk_of_the_largest_job(
    gateway: GraphQLClient, sagemaker_client: Any, big_job: str
) -> None:
    expected = [c["CandidateName"] for c in upstream_candidates(sagemaker_client, big_job)]
    assert walk(gateway, 1, job=big_job) == expected


def test_candidate_name_filter_finds_exactly_that_candidate(
    gateway: GraphQLClient, sagemaker_client: Any, big_job: str
) -> None:
    target = upstream_candidates(sagemaker_client, big_job)[123]["CandidateName"]
    for first in (1, 7, 300):
        assert walk(gateway, first, job=big_job, name=target) == [target]
    assert walk(gateway, 5, job=big_job, name="no-such-candidate") == []


def test_first_zero_returns_no_edges_but_tells_whether_more_exist(
    gateway: GraphQLClient, big_job: str
) -> None:
    page = gateway.data(NAMES, job=big_job, first=0)["candidates"]
    assert page["edges"] == []
    assert page["pageInfo"]["hasNextPage"] is True


def test_default_page_size_is_25(gateway: GraphQLClient, big_job: str) -> None:
    page = gateway.data(NAMES, job=big_job)["candidates"]
    assert len(page["edges"]) == 25
    assert page["pageInfo"]["hasNextPage"] is True


def test_job_candidates_field_pages_like_the_root_field(
    gateway: GraphQLClient, big_job: str
) -> None:
    query = """
    query ($job: String!, $after: String) {
      autoMLJob(name: $job) {
        candidates(first: 40, after: $after, sortBy: STATUS, sortOrder: DESCENDING) {
          edges { node { candidateName } }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
    """
    first = gateway.data(query, job=big_job)["autoMLJob"]["candidates"]
    second = gateway.data(query, job=big_job, after=first["pageInfo"]["endCursor"])
    names = [e["node"]["candidateName"] for e in first["edges"]] + [
        e["node"]["candidateName"] for e in second["autoMLJob"]["candidates"]["edges"]
    ]
    root = walk(gateway, 80, job=big_job, sortBy="STATUS", sortOrder="DESCENDING")[:80]
    assert names == root
