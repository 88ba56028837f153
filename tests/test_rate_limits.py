"""Limits per caller: the token buckets alone, then requests (HTTP 429) and the SageMaker-call
budget (THROTTLED) through real HTTP, each caller counted apart."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from gateway.rate_limits import MemoryTokenBuckets
from gateway.settings import Settings
from tests.gateway_server import GraphQLClient, running_gateway

JOB = "query ($name: String!) { autoMLJob(name: $name) { autoMLJobName } }"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def take(
    buckets: MemoryTokenBuckets, key: str = "k", per_minute: float = 60, burst: int = 3
) -> float:
    return asyncio.run(buckets.take(key, per_minute=per_minute, burst=burst))


def test_a_bucket_gives_its_burst_then_one_token_per_interval() -> None:
    clock = Clock()
    buckets = MemoryTokenBuckets(clock=clock)
    assert [take(buckets) for _ in range(3)] == [0, 0, 0]
    assert take(buckets) == pytest.approx(1.0)  # 60 a minute: the next in one second
    clock.now += 0.5
    assert take(buckets) == pytest.approx(0.5)  # a refused take costs nothing
    clock.now += 0.5
    assert take(buckets) == 0
    assert take(buckets) == pytest.approx(1.0)
    clock.now += 60  # idle: full again, never more than the burst
    assert [take(buckets) for _ in range(4)][-1] == pytest.approx(1.0)


def test_buckets_are_per_key_and_bounded() -> None:
    clock = Clock()
    buckets = MemoryTokenBuckets(max_buckets=2, clock=clock)
    assert take(buckets, "a", burst=1) == 0
    assert take(buckets, "b", burst=1) == 0
    assert take(buckets, "a", burst=1) > 0  # a's own bucket is empty, b's is untouched
    assert take(buckets, "c", burst=1) == 0  # evicts b, touched longest ago
    assert take(buckets, "b", burst=1) == 0  # b starts full again
    assert take(buckets, "c", burst=1) > 0


@contextmanager
def proxied_gateway(base: Settings, **changes: Any) -> Iterator[GraphQLClient]:
    """A gateway behind a (pretend) authenticating proxy on loopback: each test names the
    caller of each request with the proxy's user header."""
    settings = Settings(**(base.model_dump() | {"auth_mode": "proxy"} | changes))
    with running_gateway(settings) as url:
        yield GraphQLClient(url)


def ask(client: GraphQLClient, user: str, name: str) -> Any:
    return client.http.post(
        "/graphql",
        json={"query": JOB, "variables": {"name": name}},
        headers={"X-Auth-Request-User": user},
    )


def test_a_caller_over_its_rate_gets_429_and_others_do_not(
    gateway_settings: Settings, big_job: str
) -> None:
    with proxied_gateway(gateway_settings, rate_limit_per_minute=6, rate_limit_burst=2) as client:
        assert [ask(client, "alice", big_job).status_code for _ in range(2)] == [200, 200]
        refused = ask(client, "alice", big_job)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 10  # a token every 10 s
        (error,) = refused.json()["errors"]
        assert error["extensions"]["code"] == "THROTTLED"
        assert refused.json()["data"] is None
        assert ask(client, "bob", big_job).status_code == 200
        metrics = client.http.get("/metrics").text
        assert "gateway_throttled_requests_total" in metrics


def test_anonymous_callers_are_limited_by_their_address(
    gateway_settings: Settings, big_job: str
) -> None:
    settings = gateway_settings.model_copy(
        update={"rate_limit_per_minute": 1, "rate_limit_burst": 1}
    )
    with running_gateway(settings) as url:
        client = GraphQLClient(url)
        assert client.http.post("/graphql", json={"query": "{ __typename }"}).status_code == 200
        response = client.http.post("/graphql", json={"query": "{ __typename }"})
        assert response.status_code == 429
        assert response.headers["retry-after"] == "60"
        assert client.http.get("/healthz").status_code == 200  # only /graphql is limited


def test_the_sagemaker_call_budget_is_per_caller_and_cached_answers_are_free(
    gateway_settings: Settings, demo_jobs: list[str]
) -> None:
    with proxied_gateway(gateway_settings, sagemaker_calls_per_minute=2) as client:
        first, second, third = demo_jobs[:3]
        for name in (first, second):
            assert ask(client, "alice", name).json()["data"]["autoMLJob"]["autoMLJobName"] == name
        # Finished jobs are cached: asking again spends nothing.
        again = ask(client, "alice", first).json()
        assert again["data"]["autoMLJob"]["autoMLJobName"] == first
        over = ask(client, "alice", third)
        assert over.status_code == 200
        (error,) = over.json()["errors"]
        assert error["extensions"]["code"] == "THROTTLED"
        assert "SageMaker calls a minute" in error["message"]
        # Another caller's budget is untouched, and it reads the same job.
        other = ask(client, "bob", third).json()
        assert other["data"]["autoMLJob"]["autoMLJobName"] == third


def test_frontends_of_other_origins_may_ask_for_the_cost_and_read_retry_after(
    gateway_settings: Settings,
) -> None:
    origin = "https://leaderboard.example.com"
    settings = gateway_settings.model_copy(
        update={"cors_allow_origins": [origin], "rate_limit_per_minute": 1, "rate_limit_burst": 1}
    )
    with running_gateway(settings) as url:
        client = GraphQLClient(url)
        preflight = client.http.options(
            "/graphql",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-gateway-cost",
            },
        )
        assert preflight.status_code == 200
        assert "x-gateway-cost" in preflight.headers["access-control-allow-headers"].lower()
        for _ in range(2):
            response = client.http.post(
                "/graphql", json={"query": "{ __typename }"}, headers={"Origin": origin}
            )
        assert response.status_code == 429
        assert "retry-after" in response.headers["access-control-expose-headers"]
