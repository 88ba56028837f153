"""``extensions.cost`` through real HTTP: what an answer cost in SageMaker calls, retries, time
and cache hits, asked for by a header or on for every answer."""

from __future__ import annotations

from typing import Any

from gateway.settings import Settings
from tests.gateway_server import GraphQLClient, running_gateway

JOB = "query ($name: String!) { autoMLJob(name: $name) { autoMLJobName } }"
STATUS = "query ($name: String!) { autoMLJob(name: $name) { autoMLJobStatus } }"
COSTED = {"X-Gateway-Cost": "1"}


def post(
    client: GraphQLClient, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> Any:
    response = client.http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers or {}
    )
    assert response.status_code == 200
    return response.json()


def test_the_header_asks_for_the_cost_of_cold_and_warm_answers(
    gateway_settings: Settings, demo_jobs: list[str]
) -> None:
    with running_gateway(gateway_settings) as url:
        client = GraphQLClient(url)
        name = demo_jobs[0]
        cold = post(client, JOB, COSTED, name=name)
        assert cold["data"]["autoMLJob"]["autoMLJobName"] == name
        cost = cold["extensions"]["cost"]
        assert cost["sagemakerCalls"] == 1
        assert cost["sagemakerRetries"] == 0
        assert cost["sagemakerMilliseconds"] > 0
        assert (cost["cacheHits"], cost["resultCacheHits"]) == (0, 0)

        # The same operation again: the whole result from the result cache, no call.
        warm = post(client, JOB, COSTED, name=name)
        assert warm["data"] == cold["data"]
        assert warm["extensions"]["cost"] == {
            "sagemakerCalls": 0,
            "sagemakerRetries": 0,
            "sagemakerMilliseconds": 0,
            "cacheHits": 0,
            "resultCacheHits": 1,
        }
        # Another operation on the same job: its description from the SageMaker cache.
        other = post(
            client,
            "query ($n: String!) { autoMLJob(name: $n) { autoMLJobStatus } }",
            COSTED,
            n=name,
        )
        assert other["extensions"]["cost"]["cacheHits"] == 1
        assert other["extensions"]["cost"]["sagemakerCalls"] == 0

        # Without the header, no cost: the stored bytes as they were.
        plain = client.http.post("/graphql", json={"query": JOB, "variables": {"name": name}})
        assert plain.json() == {"data": cold["data"]}
        assert post(client, JOB, {"X-Gateway-Cost": "yes"}, name=name) == {"data": cold["data"]}


def test_retries_of_throttled_calls_are_counted(
    gateway_settings: Settings, faults: Any, big_job: str
) -> None:
    settings = gateway_settings.model_copy(update={"sagemaker_max_attempts": 3})
    with running_gateway(settings) as url:
        faults.inject("DescribeAutoMLJobV2", code="ThrottlingException", times=2)
        body = post(GraphQLClient(url), JOB, COSTED, name=big_job)
        assert body["data"]["autoMLJob"]["autoMLJobName"] == big_job
        assert body["extensions"]["cost"]["sagemakerCalls"] == 1
        assert body["extensions"]["cost"]["sagemakerRetries"] == 2


def test_with_the_setting_every_answer_carries_its_cost_and_results_are_still_cached(
    gateway_settings: Settings, demo_jobs: list[str]
) -> None:
    settings = gateway_settings.model_copy(update={"cost_extension": True})
    with running_gateway(settings) as url:
        client = GraphQLClient(url)
        batch = [{"query": JOB, "variables": {"name": name}} for name in demo_jobs[:2]]
        answers = client.http.post("/graphql", json=batch).json()
        # A batch's operations share their reads: each carries the request's total.
        assert [a["extensions"]["cost"]["sagemakerCalls"] for a in answers] == [2, 2]
        again = post(client, JOB, name=demo_jobs[0])
        assert again["extensions"]["cost"]["resultCacheHits"] == 1
        assert again["extensions"]["cost"]["sagemakerCalls"] == 0
        failed = post(client, JOB, name="no-such-job")
        assert failed["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert failed["extensions"]["cost"]["sagemakerCalls"] == 1
