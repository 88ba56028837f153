"""Replicas on one Redis limit a caller as one gateway does, and share persisted queries.

A caller's requests spread over two replicas spend one bucket (the burst in all, not per
replica), as do its SageMaker calls; with Redis killed, each replica limits alone and every
request is still answered. A query registered (APQ) on one replica runs by its hash on another.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from gateway.settings import Settings
from tests.fleet.gateways import Fleet, fleet
from tests.fleet.redis_server import RedisServer
from tests.gateway_server import GraphQLClient

JOB = "query ($name: String!) { autoMLJob(name: $name) { autoMLJobName } }"


def on_redis(gateway_settings: Settings, url: str, **changes: Any) -> Settings:
    """Replicas on ``url`` behind a (pretend) authenticating proxy on loopback: each request
    names its caller with the proxy's user header."""
    update = {"auth_mode": "proxy", "redis_url": SecretStr(url)} | changes
    return Settings(**(gateway_settings.model_dump() | update))


@pytest.fixture
def two_replicas(gateway_settings: Settings, redis_server: RedisServer) -> Iterator[Fleet]:
    settings = on_redis(
        gateway_settings,
        redis_server.url,
        redis_timeout_seconds=2.0,  # the test's own load never counts as Redis being slow
        rate_limit_per_minute=6,  # a token every 10 s: none comes back during the test
        rate_limit_burst=3,
        sagemaker_calls_per_minute=2,
    )
    with fleet(settings, replicas=2) as replicas:
        yield replicas


def ask(replica: GraphQLClient, caller: str, job: str = "customer-churn-xgb") -> httpx.Response:
    return replica.http.post(
        "/graphql",
        json={"query": JOB, "variables": {"name": job}},
        headers={"X-Auth-Request-User": caller},
    )


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 10
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "THROTTLED"


def test_a_callers_requests_over_two_replicas_spend_one_bucket(two_replicas: Fleet) -> None:
    one, other = two_replicas.replicas
    statuses = [ask(replica, "alice").status_code for replica in (one, other, one)]
    assert statuses == [200, 200, 200]  # the burst, in all
    assert_throttled(ask(other, "alice"))  # each replica alone would still have tokens
    assert_throttled(ask(one, "alice"))
    assert ask(other, "bob").status_code == 200  # another caller's bucket


def test_a_callers_sagemaker_calls_over_two_replicas_spend_one_budget(
    two_replicas: Fleet, demo_jobs: list[str]
) -> None:
    one, other = two_replicas.replicas
    first, second, third = demo_jobs[:3]
    assert ask(one, "carol", first).json()["data"]["autoMLJob"]["autoMLJobName"] == first
    assert ask(other, "carol", second).json()["data"]["autoMLJob"]["autoMLJobName"] == second
    over = ask(one, "carol", third)
    assert over.status_code == 200
    (error,) = over.json()["errors"]
    assert error["extensions"]["code"] == "THROTTLED"
    assert "2 SageMaker calls a minute" in error["message"]
    # Another caller's budget is its own; it reads the job carol could not.
    assert ask(other, "dave", third).json()["data"]["autoMLJob"]["autoMLJobName"] == third


def test_with_redis_killed_each_replica_limits_alone_and_every_request_is_answered(
    gateway_settings: Settings, own_redis: RedisServer
) -> None:
    settings = on_redis(
        gateway_settings, own_redis.url, rate_limit_per_minute=6, rate_limit_burst=2
    )
    with fleet(settings, replicas=2) as replicas:
        one, other = replicas.replicas
        assert [ask(one, "erin").status_code, ask(other, "erin").status_code] == [200, 200]
        assert_throttled(ask(one, "erin"))  # shared: the burst is spent
        own_redis.kill()
        for replica in (one, other):
            started = time.monotonic()
            # Each process's own bucket now, full: its burst, then 429, never a 500.
            assert [ask(replica, "erin").status_code for _ in range(2)] == [200, 200]
            assert_throttled(ask(replica, "erin"))
            assert time.monotonic() - started < 3  # Redis's timeout at most, once
            assert replica.http.get("/readyz").json()["redis"].startswith("unavailable (")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_query_registered_on_one_replica_runs_by_its_hash_on_another(
    gateway_settings: Settings, redis_server: RedisServer
) -> None:
    settings = on_redis(gateway_settings, redis_server.url, redis_timeout_seconds=2.0)
    status = '{ autoMLJob(name: "customer-churn-xgb") { autoMLJobStatus } }'
    query = f"query Q{uuid.uuid4().hex} {status}"  # registered by no other test
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}
    headers = {"X-Auth-Request-User": "frank"}
    with fleet(settings, replicas=2) as replicas:
        one, other = (replica.http for replica in replicas.replicas)
        unknown = other.post("/graphql", json={"extensions": persisted}, headers=headers)
        assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        registered = one.post(
            "/graphql", json={"query": query, "extensions": persisted}, headers=headers
        )
        expected = {"data": {"autoMLJob": {"autoMLJobStatus": "COMPLETED"}}}
        assert registered.json() == expected
        by_hash = other.post("/graphql", json={"extensions": persisted}, headers=headers)
        assert by_hash.json() == expected
