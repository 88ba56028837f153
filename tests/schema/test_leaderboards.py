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


RERUNS = ["customer-churn-xgb", "customer-churn-xgb-rerun"]
ACROSS = """query ($jobs: [String!]!, $orderBy: [CandidateOrder!]) {
  leaderboard(jobNames: $jobs, orderBy: $orderBy, first: 400) {
    totalCount
    edges { rank node { id candidateName job { autoMLJobName }
                        finalAutoMLJobObjectiveMetric { value } } }
  }
}"""


def test_one_leaderboard_across_reruns_ranks_both_jobs_by_the_objective(
    fresh_gateway: GraphQLClient,
) -> None:
    before = upstream_calls()
    board = fresh_gateway.data(ACROSS, jobs=RERUNS)["leaderboard"]
    # Each job's set once: a describe and one call of 300 candidates each, concurrently.
    assert upstream_calls() - before == 4
    jobs = {edge["node"]["job"]["autoMLJobName"] for edge in board["edges"]}
    assert jobs == set(RERUNS)
    values = [
        (edge["node"]["finalAutoMLJobObjectiveMetric"] or {}).get("value")
        for edge in board["edges"]
    ]
    scored = [v for v in values if v is not None]
    assert scored == sorted(scored, reverse=True)  # F1 is maximized
    assert values[: len(scored)] == scored  # unscored candidates last
    assert board["totalCount"] == len(board["edges"]) == 250 + 60


def test_leaderboards_refuse_mixed_objectives_too_many_jobs_and_unseen_jobs(
    gateway: GraphQLClient,
) -> None:
    mixed = gateway.error(ACROSS, jobs=["customer-churn-xgb", "house-prices-regression"])
    assert mixed["extensions"]["code"] == "BAD_USER_INPUT"
    assert "different objectives" in mixed["message"]
    shared = {"by": "CREATION_TIME"}
    assert gateway.data(
        ACROSS, jobs=["customer-churn-xgb", "house-prices-regression"], orderBy=[shared]
    )["leaderboard"]["totalCount"]
    too_many = gateway.error(ACROSS, jobs=[f"job-{n}" for n in range(21)])
    assert "1 to 20" in too_many["message"]
    assert gateway.error(ACROSS, jobs=[])["extensions"]["code"] == "BAD_USER_INPUT"
    missing = gateway.error(ACROSS, jobs=["customer-churn-xgb", "no-such-job"])
    assert missing["extensions"]["code"] == "NOT_FOUND"


def test_a_comparison_lines_up_every_metric_of_candidates_from_two_jobs(
    gateway: GraphQLClient,
) -> None:
    edges = gateway.data(ACROSS, jobs=RERUNS)["leaderboard"]["edges"]
    ids = [edges[0]["node"]["id"], edges[-1]["node"]["id"], edges[1]["node"]["id"]]
    compared = gateway.data(
        """query ($ids: [ID!]!) { compareCandidates(ids: $ids) {
          candidates { id } rows { metric set values best deltas } } }""",
        ids=ids,
    )["compareCandidates"]
    assert [c["id"] for c in compared["candidates"]] == ids
    f1 = next(r for r in compared["rows"] if (r["metric"], r["set"]) == ("F1", "VALIDATION"))
    present = [v for v in f1["values"] if v is not None]
    assert f1["best"] == max(present)
    assert all(d is None or d <= 0 for d in f1["deltas"])
    latency = [r for r in compared["rows"] if r["metric"] == "INFERENCE_LATENCY"]
    assert all(d is None or d >= 0 for r in latency for d in r["deltas"])  # lower is better


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["Q2FuZGlkYXRlOmN1c3RvbWVyLWNodXJuLXhnYi9h"], "2 to 10"),
        (["not-an-id", "not-an-id"], "not the ID of a Candidate"),
        (["QXV0b01MSm9iOmN1c3RvbWVyLWNodXJuLXhnYg=="] * 2, "not the ID of a Candidate"),
    ],
)
def test_bad_comparisons_say_what_to_change(
    gateway: GraphQLClient, ids: list[str], message: str
) -> None:
    error = gateway.error(
        "query ($ids: [ID!]!) { compareCandidates(ids: $ids) { rows { metric } } }", ids=ids
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]


def test_the_pareto_front_trades_f1_against_latency(gateway: GraphQLClient, big_job: str) -> None:
    front = gateway.data(
        """query ($job: String!) { paretoFront(jobName: $job, x: {by: METRIC, metric: F1},
             y: {by: METRIC, metric: INFERENCE_LATENCY}) {
             f1: metric(name: F1) latency: metric(name: INFERENCE_LATENCY) } }""",
        job=big_job,
    )["paretoFront"]
    everyone = connection(gateway, job=big_job, first=1000)["edges"]
    assert len(front) >= 2
    f1s = [p["f1"] for p in front]
    latencies = [p["latency"] for p in front]
    assert f1s == sorted(f1s, reverse=True)
    assert latencies == sorted(latencies, reverse=True)  # each step trades F1 for speed
    assert max(f1s) == max(e["node"]["metric"] for e in everyone if e["node"]["metric"])


def test_a_comparison_and_a_front_read_each_distinct_job_once(
    gateway: GraphQLClient, fresh_gateway: GraphQLClient
) -> None:
    edges = gateway.data(ACROSS, jobs=RERUNS)["leaderboard"]["edges"]
    by_job = {
        job: [e["node"]["id"] for e in edges if e["node"]["job"]["autoMLJobName"] == job]
        for job in RERUNS
    }
    ids = by_job[RERUNS[0]][:2] + by_job[RERUNS[1]][:2]
    before = upstream_calls()
    fresh_gateway.data(
        "query ($ids: [ID!]!) { compareCandidates(ids: $ids) { rows { metric } } }", ids=ids
    )
    assert upstream_calls() - before == 4  # per job: a describe and one call of 300
    before = upstream_calls()
    fresh_gateway.data(
        """{ paretoFront(jobName: "customer-churn-xgb-rerun", x: {by: OBJECTIVE},
             y: {by: TRAINING_SECONDS}) { candidateName } }"""
    )
    assert upstream_calls() - before == 0  # the rerun's set is cached already


def test_a_filter_without_an_order_keeps_sagemakers_sort(
    gateway: GraphQLClient, sagemaker_client: Any, big_job: str
) -> None:
    query = """query ($job: String!) {
      candidates(jobName: $job, first: 1000, sortBy: CREATION_TIME, sortOrder: ASCENDING,
                 where: {status: [COMPLETED], nameContains: "-0"}) {
        edges { rank node { candidateName } } } }"""
    edges = connection(gateway, query, job=big_job)["edges"]
    listed, token = [], None
    while True:
        options = {"NextToken": token} if token else {}
        page = sagemaker_client.list_candidates_for_auto_ml_job(
            AutoMLJobName=big_job, SortBy="CreationTime", SortOrder="Ascending", **options
        )
        listed += page["Candidates"]
        token = page.get("NextToken")
        if not token:
            break
    expected = [
        c["CandidateName"]
        for c in listed
        if c["CandidateStatus"] == "Completed" and "-0" in c["CandidateName"].lower()
    ]
    assert [e["node"]["candidateName"] for e in edges] == expected
    assert [e["rank"] for e in edges] == list(range(1, len(expected) + 1))
