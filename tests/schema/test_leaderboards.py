"""Leaderboards through real HTTP on the local SageMaker: orders by any metric, filters, ranks,
paging both ways, what they cost, and the errors bad orders and filters get."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.sagemaker.metrics import upstream_calls
from gateway.settings import Settings
from tests.gateway_server import GraphQLClient, running_gateway

BY_F1 = """
query ($job: String!, $first: Int, $after: String, $last: Int, $before: String,
       $where: CandidateFilter) {
  candidates(jobName: $job, first: $first, after: $after, last: $last, before: $before,
             orderBy: [{by: METRIC, metric: F1}], where: $where) {
    totalCount
    edges { cursor rank node { candidateName metric(name: F1) } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


@pytest.fixture
def fresh_gateway(gateway_settings: Settings) -> Iterator[GraphQLClient]:
    """A gateway with an empty cache that caches finished jobs, as deployed."""
    with running_gateway(gateway_settings) as url:
        yield GraphQLClient(url)


def connection(client: GraphQLClient, query: str = BY_F1, **variables: Any) -> dict[str, Any]:
    data: dict[str, Any] = client.data(query, **variables)["candidates"]
    return data


def test_ordered_by_a_validation_metric_with_ranks_and_a_threshold(
    gateway: GraphQLClient, sagemaker_client: Any, big_job: str
) -> None:
    where = {"metric": {"name": "F1", "gte": 0.5}}
    page = connection(gateway, job=big_job, first=300, where=where)
    values = [edge["node"]["metric"] for edge in page["edges"]]
    assert values and all(v >= 0.5 for v in values)
    assert values == sorted(values, reverse=True)  # F1: higher is better, best first
    # The reference: every candidate of the job SageMaker lists, filtered here.
    listed = sagemaker_client.list_candidates_for_auto_ml_job(AutoMLJobName=big_job, MaxResults=100)
    names = []
    token = listed.get("NextToken")
    names += listed["Candidates"]
    while token:
        listed = sagemaker_client.list_candidates_for_auto_ml_job(
            AutoMLJobName=big_job, MaxResults=100, NextToken=token
        )
        names += listed["Candidates"]
        token = listed.get("NextToken")
    expected = sum(
        1
        for c in names
        for d in c.get("CandidateProperties", {}).get("CandidateMetrics", [])
        if d.get("StandardMetricName") == "F1"
        and d.get("Set") == "Validation"
        and d["Value"] >= 0.5
    )
    assert page["totalCount"] == len(page["edges"]) == expected
    ranks = [edge["rank"] for edge in page["edges"]]
    for i, (rank, value) in enumerate(zip(ranks, values, strict=True)):
        assert rank == (ranks[i - 1] if i and value == values[i - 1] else i + 1)


def test_paging_a_leaderboard_both_ways_yields_its_order(
    gateway: GraphQLClient, big_job: str
) -> None:
    everything = connection(gateway, job=big_job, first=1000)["edges"]
    forward, cursor = [], None
    while True:
        page = connection(gateway, job=big_job, first=70, after=cursor)
        forward += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["pageInfo"]["endCursor"]
    backward, cursor = [], None
    while True:
        page = connection(gateway, job=big_job, last=90, before=cursor)
        backward = page["edges"] + backward
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        cursor = page["pageInfo"]["startCursor"]
    names = [edge["node"]["candidateName"] for edge in everything]
    assert [edge["node"]["candidateName"] for edge in forward] == names
    assert [edge["node"]["candidateName"] for edge in backward] == names
    # Candidates without a validation F1 come last.
    missing = [i for i, edge in enumerate(everything) if edge["node"]["metric"] is None]
    assert missing == list(range(len(everything) - len(missing), len(everything)))


def test_without_an_order_the_rank_is_the_place_in_sagemakers_order(
    gateway: GraphQLClient, big_job: str
) -> None:
    query = """query ($job: String!, $after: String) {
      candidates(jobName: $job, first: 30, after: $after) {
        edges { rank } pageInfo { endCursor } } }"""
    first = connection(gateway, query, job=big_job)
    second = connection(gateway, query, job=big_job, after=first["pageInfo"]["endCursor"])
    assert [e["rank"] for e in first["edges"] + second["edges"]] == list(range(1, 61))


def test_any_order_of_a_finished_job_costs_its_set_once(
    fresh_gateway: GraphQLClient, big_job: str
) -> None:
    before = upstream_calls()
    connection(fresh_gateway, job=big_job, first=25)
    cold = upstream_calls() - before
    assert cold == 1 + math.ceil(250 / 300)  # one describe, then the whole set
    before = upstream_calls()
    other = """query ($job: String!) { candidates(jobName: $job, first: 5,
      orderBy: [{by: TRAINING_SECONDS}], where: {nameContains: "XGB"}) { edges { rank } } }"""
    connection(fresh_gateway, other, job=big_job)
    connection(fresh_gateway, job=big_job, first=25, where={"status": ["COMPLETED"]})
    assert upstream_calls() - before == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("orderBy: [{by: METRIC}]", "METRIC"),
        ("orderBy: [{by: NAME}], sortBy: STATUS", "orderBy"),
        ("where: {metric: {name: F1}}", "at least one of"),
        ("orderBy: [{by: METRIC, metric: UNKNOWN}]", "UNKNOWN"),
        ("where: {status: [UNKNOWN]}", "UNKNOWN"),
    ],
)
def test_bad_orders_and_filters_say_what_to_change(
    gateway: GraphQLClient, big_job: str, arguments: str, message: str
) -> None:
    error = gateway.error(
        f'{{ candidates(jobName: "{big_job}", {arguments}) {{ edges {{ rank }} }} }}'
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]
