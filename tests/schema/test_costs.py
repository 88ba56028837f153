"""What queries cost upstream, counted from the gateway's own metrics, through real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from gateway.sagemaker.metrics import upstream_calls
from gateway.settings import Settings
from tests.gateway_server import GraphQLClient, running_gateway

LEADERBOARD = """
{
  autoMLJobs(first: 10) {
    edges { node {
      autoMLJobName autoMLJobStatus
      bestCandidate { candidateName finalAutoMLJobObjectiveMetric { metricName value } }
      candidates(first: 10) { edges { node { candidateName candidateStatus } } }
    } }
  }
}
"""


@pytest.fixture
def fresh_gateway(gateway_settings: Settings) -> Iterator[GraphQLClient]:
    """A gateway with an empty cache."""
    with running_gateway(gateway_settings) as url:
        yield GraphQLClient(url)


def cost(query: str, client: GraphQLClient, **variables: Any) -> tuple[int, dict[str, Any]]:
    before = upstream_calls()
    data = client.data(query, **variables)
    return upstream_calls() - before, data


def test_leaderboard_costs_one_call_per_read_cold_and_nothing_warm(
    fresh_gateway: GraphQLClient, demo_jobs: list[str]
) -> None:
    jobs = len(demo_jobs)
    cold, data = cost(LEADERBOARD, fresh_gateway)
    # one ListAutoMLJobs, then per job one DescribeAutoMLJobV2 and one candidates page
    assert cold == 1 + 2 * jobs
    warm, again = cost(LEADERBOARD, fresh_gateway)
    assert warm == 0
    assert again == data


def test_by_name_leaderboard_costs_two_calls_per_job(
    fresh_gateway: GraphQLClient, demo_jobs: list[str]
) -> None:
    aliases = "\n".join(
        f'j{i}: autoMLJob(name: "{name}") {{ bestCandidate {{ candidateName }} '
        "candidates(first: 10) { edges { node { candidateName } } } }"
        for i, name in enumerate(demo_jobs)
    )
    cold, _ = cost("{" + aliases + "}", fresh_gateway)
    assert cold == 2 * len(demo_jobs)


def test_identical_reads_in_one_operation_happen_once(
    fresh_gateway: GraphQLClient, big_job: str
) -> None:
    query = """query ($job: String!) {
      a: autoMLJob(name: $job) { bestCandidate { candidateName } }
      b: autoMLJob(name: $job) { autoMLJobStatus completionCriteria { maxCandidates } }
      c: candidates(jobName: $job, first: 10) { edges { node { candidateName } } }
      d: candidates(jobName: $job, first: 10) { edges { cursor } }
    }"""
    calls, _ = cost(query, fresh_gateway, job=big_job)
    assert calls == 2


@pytest.mark.slow
def test_fifty_concurrent_identical_leaderboards_cost_what_one_does(
    gateway_settings: Settings, demo_jobs: list[str]
) -> None:
    with running_gateway(gateway_settings) as url:
        single, _ = cost(LEADERBOARD, GraphQLClient(url))
    with running_gateway(gateway_settings) as url:
        clients = [GraphQLClient(url) for _ in range(50)]
        before = upstream_calls()
        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(lambda client: client.data(LEADERBOARD), clients))
        assert upstream_calls() - before == single
        assert all(result == results[0] for result in results)


def test_batched_operations_share_their_reads(fresh_gateway: GraphQLClient, big_job: str) -> None:
    operation = {
        "query": "query ($job: String!) { autoMLJob(name: $job) { autoMLJobStatus } }",
        "variables": {"job": big_job},
    }
    before = upstream_calls()
    response = fresh_gateway.http.post("/graphql", json=[operation, operation, operation])
    assert response.status_code == 200
    body = response.json()
    assert [item["data"]["autoMLJob"]["autoMLJobStatus"] for item in body] == ["COMPLETED"] * 3
    assert upstream_calls() - before == 1


def test_a_batch_above_the_cap_is_refused(fresh_gateway: GraphQLClient) -> None:
    operation = {"query": "{ __typename }"}
    assert fresh_gateway.http.post("/graphql", json=[operation] * 10).status_code == 200
    response = fresh_gateway.http.post("/graphql", json=[operation] * 11)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert "A batch may hold at most 10 operations" in error["message"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_whole_results_are_reused_only_for_the_same_operation_and_variables(
    fresh_gateway: GraphQLClient, demo_jobs: list[str]
) -> None:
    query = "query ($job: String!) { autoMLJob(name: $job) { autoMLJobName } }"
    first, second = demo_jobs[0], demo_jobs[1]
    assert cost(query, fresh_gateway, job=first) == (1, {"autoMLJob": {"autoMLJobName": first}})
    assert cost(query, fresh_gateway, job=first) == (0, {"autoMLJob": {"autoMLJobName": first}})
    assert cost(query, fresh_gateway, job=second) == (1, {"autoMLJob": {"autoMLJobName": second}})


def test_errors_are_never_cached(fresh_gateway: GraphQLClient) -> None:
    query = '{ autoMLJob(name: "no-such-job") { autoMLJobName } }'
    for _ in range(2):
        before = upstream_calls()
        assert fresh_gateway.error(query)["extensions"]["code"] == "NOT_FOUND"
        assert upstream_calls() - before == 1
