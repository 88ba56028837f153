"""Production behaviour through real HTTP: upstream failures, limits, CSRF, CORS, request IDs,
readiness, metrics and graceful shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from gateway.local.server import LocalSageMaker
from gateway.settings import Settings
from tests.gateway_server import GraphQLClient, running_gateway

JOB = "query ($name: String!) { autoMLJob(name: $name) { autoMLJobName } }"
UNCACHED = {"cache_ttl_seconds": 0, "active_cache_ttl_seconds": 0}


@contextmanager
def gateway_with(base: Settings, **changes: Any) -> Iterator[GraphQLClient]:
    settings = Settings(**(base.model_dump() | UNCACHED | changes))
    with running_gateway(settings) as url:
        yield GraphQLClient(url)


@pytest.mark.slow
def test_throttling_is_retried_then_reported_as_throttled(
    gateway_settings: Settings, faults: Any, big_job: str
) -> None:
    with gateway_with(gateway_settings, sagemaker_max_attempts=3) as client:
        faults.inject("DescribeAutoMLJobV2", code="ThrottlingException", times=2)
        assert client.data(JOB, name=big_job)["autoMLJob"]["autoMLJobName"] == big_job
        assert faults.injected == 2

        faults.inject("DescribeAutoMLJobV2", code="ThrottlingException", times=3)
        error = client.error(JOB, name=big_job)
        assert error["extensions"]["code"] == "THROTTLED"
        assert faults.injected == 5
        assert "Throttling" not in error["message"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("code", "status"), [("InternalFailure", 500), ("ServiceUnavailable", 503)]
)
def test_server_errors_are_retried_then_reported_as_upstream_unavailable(
    gateway_settings: Settings, faults: Any, big_job: str, code: str, status: int
) -> None:
    with gateway_with(gateway_settings, sagemaker_max_attempts=2) as client:
        faults.inject("DescribeAutoMLJobV2", code=code, status=status, times=1)
        assert client.data(JOB, name=big_job)["autoMLJob"]["autoMLJobName"] == big_job
        faults.inject("DescribeAutoMLJobV2", code=code, status=status, times=2)
        error = client.error(JOB, name=big_job)
        assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
        assert code not in error["message"]


def test_the_request_deadline_keeps_partial_data(
    gateway_settings: Settings, faults: Any, big_job: str
) -> None:
    settings = {
        "request_timeout_seconds": 1.5,
        "sagemaker_max_attempts": 1,
        "sagemaker_connect_timeout_seconds": 0.2,
        "sagemaker_read_timeout_seconds": 1.2,
    }
    page = """query ($job: String!, $first: Int) {
      candidates(jobName: $job, first: $first) { pageInfo { endCursor } }
    }"""
    both = """query ($job: String!, $after: String) {
      a: autoMLJob(name: $job) { autoMLJobName }
      b: autoMLJob(name: $job) { candidates(first: 5, after: $after) { edges { cursor } } }
    }"""
    with gateway_with(gateway_settings, **settings) as client:
        cursor = client.data(page, job=big_job, first=3)["candidates"]["pageInfo"]["endCursor"]
        # resuming after the cursor reads its page again, then the next one: two calls in a row
        faults.inject("ListCandidatesForAutoMLJob", code="", times=2, delay_seconds=0.9)
        started = time.monotonic()
        body = client.post(both, job=big_job, after=cursor)
        assert time.monotonic() - started < 3
    assert body["data"] == {"a": {"autoMLJobName": big_job}, "b": None}
    assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert "deadline" in body["errors"][0]["message"]


def GlobalID(type_name: str, node_id: str) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


SHALLOW = (
    '{ autoMLJob(name: "customer-churn-xgb") { bestCandidate { inferenceContainers { image } } } }'
)
THREE_ALIASES = "{ a: __typename b: __typename c: __typename }"
DEEPER = (
    '{ autoMLJob(name: "customer-churn-xgb") '
    "{ bestCandidate { inferenceContainers { environment { name } } } } }"
)


LIMITS = [
    ("max_query_depth", 3, SHALLOW, DEEPER, "exceeds maximum operation depth"),
    ("max_aliases", 2, "{ a: __typename b: __typename }", THREE_ALIASES, "aliases"),
    ("max_tokens", 4, "{ __typename __typename }", "{ __typename __typename a }", "tokens"),
]


@pytest.mark.parametrize(("setting", "limit", "at_limit", "over_limit", "message"), LIMITS)
def test_each_operation_limit_accepts_n_and_refuses_n_plus_one(
    gateway_settings: Settings,
    setting: str,
    limit: int,
    at_limit: str,
    over_limit: str,
    message: str,
) -> None:
    with gateway_with(gateway_settings, **{setting: limit}) as client:
        assert "errors" not in client.post(at_limit)
        error = client.post(over_limit)["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert message in error["message"]


def test_limits_see_through_fragment_spreads_and_circular_fragments(
    gateway_settings: Settings,
) -> None:
    with gateway_with(gateway_settings, max_aliases=2, max_query_depth=3) as client:
        through_fragment = """
        query { ...F }
        fragment F on Query { a: __typename b: __typename c: __typename }
        """
        assert "aliases" in client.error(through_fragment)["message"]
        circular = """
        query { autoMLJob(name: "x") { ...A } }
        fragment A on AutoMLJob { autoMLJobName ...B }
        fragment B on AutoMLJob { autoMLJobArn ...A }
        """
        error = client.post(circular)["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_upstream_reads_per_operation_are_capped(
    gateway_settings: Settings, demo_jobs: list[str]
) -> None:
    two = "".join(
        f'j{i}: autoMLJob(name: "{n}") {{ autoMLJobName }} ' for i, n in enumerate(demo_jobs[:2])
    )
    three = "".join(
        f'j{i}: autoMLJob(name: "{n}") {{ autoMLJobName }} ' for i, n in enumerate(demo_jobs[:3])
    )
    with gateway_with(gateway_settings, max_upstream_calls_per_operation=2) as client:
        assert "errors" not in client.post("{" + two + "}")
        body = client.post("{" + three + "}")
        codes = [error["extensions"]["code"] for error in body["errors"]]
        assert codes == ["BAD_USER_INPUT"]
        assert "more than 2 SageMaker reads" in body["errors"][0]["message"]


def test_request_bodies_over_the_limit_get_413(gateway_settings: Settings) -> None:
    with gateway_with(gateway_settings, max_request_bytes=2048) as client:
        padding = " " * 1900
        assert (
            client.http.post("/graphql", json={"query": "{ __typename }" + padding}).status_code
            == 200
        )
        response = client.http.post("/graphql", json={"query": "{ __typename }" + padding * 2})
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        # A body of unknown size (chunked) is counted as it arrives.
        headers = {"Content-Type": "application/json"}
        body = b'{"query": "{ __typename }' + b" " * 1900
        chunked = client.http.post(
            "/graphql", content=iter([body, b" " * 1900, b'"}']), headers=headers
        )
        assert chunked.status_code == 413
        small = client.http.post("/graphql", content=iter([body, b'"}']), headers=headers)
        assert small.json() == {"data": {"__typename": "Query"}}


def test_introspection_and_suggestions_follow_their_settings(gateway_settings: Settings) -> None:
    with gateway_with(gateway_settings, introspection=False, field_suggestions=False) as client:
        error = client.post("{ __schema { types { name } } }")["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "Did you mean" not in client.error("{ autoMLJo }")["message"]
    with gateway_with(gateway_settings) as client:
        assert client.data("{ __schema { queryType { name } } }")
        assert "Did you mean" in client.error("{ autoMLJo }")["message"]


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"content": "{ __typename }", "headers": {"Content-Type": "text/plain"}},
        {"data": {"query": "{ __typename }"}},
        {"files": {"query": ("q", b"{ __typename }")}},
    ],
)
def test_simple_cross_site_requests_run_nothing(
    gateway: GraphQLClient, request_kwargs: dict[str, Any]
) -> None:
    response = gateway.http.post("/graphql", **request_kwargs)
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_get_queries_need_a_header_a_form_cannot_send(gateway: GraphQLClient) -> None:
    params = {"query": "{ __typename }"}
    assert gateway.http.get("/graphql", params=params).status_code == 400
    headers = {"GraphQL-Require-Preflight": "1"}
    assert gateway.http.get("/graphql", params=params, headers=headers).status_code == 200


def test_cors_allows_only_configured_origins(gateway_settings: Settings) -> None:
    allowed = "https://leaderboard.example.com"
    with gateway_with(gateway_settings, cors_allow_origins=[allowed]) as client:
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        }
        ok = client.http.options("/graphql", headers={"Origin": allowed, **preflight})
        assert ok.headers["access-control-allow-origin"] == allowed
        denied = client.http.options(
            "/graphql", headers={"Origin": "https://evil.example", **preflight}
        )
        assert "access-control-allow-origin" not in denied.headers


def test_every_response_and_error_carries_the_request_id(gateway: GraphQLClient) -> None:
    response = gateway.http.post(
        "/graphql", json={"query": "{ nope }"}, headers={"X-Request-ID": "trace-123"}
    )
    assert response.headers["x-request-id"] == "trace-123"
    assert response.json()["errors"][0]["extensions"]["requestId"] == "trace-123"
    generated = gateway.http.post(
        "/graphql", json={"query": "{ nope }"}, headers={"X-Request-ID": "bad id!"}
    )
    rid = generated.headers["x-request-id"]
    assert rid != "bad id!" and len(rid) == 32
    assert generated.json()["errors"][0]["extensions"]["requestId"] == rid


def test_health_readiness_and_metrics(gateway: GraphQLClient, gateway_settings: Settings) -> None:
    assert gateway.http.get("/healthz").json() == {"status": "ok"}
    assert gateway.http.get("/readyz").status_code == 200
    gateway.data("{ __typename }")
    text = gateway.http.get("/metrics").text
    for metric in (
        "gateway_upstream_calls_total",
        "gateway_graphql_operations_total",
        "gateway_http_request_seconds_bucket",
        "gateway_http_requests_in_flight",
        "gateway_cache_lookups_total",
    ):
        assert metric in text

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    down = {"sagemaker_endpoint_url": f"http://127.0.0.1:{closed}", "sagemaker_max_attempts": 1}
    with gateway_with(gateway_settings, **down) as client:
        response = client.http.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
        assert client.http.get("/healthz").status_code == 200


def in_flight_before_sigterm(url: str, requests: int) -> None:
    """Waits until the gateway serves ``requests`` at once (besides the /metrics request that
    asks): on a busy machine, a fixed sleep may signal before they have all arrived."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        metrics = httpx.get(f"{url}/metrics").text
        (line,) = [
            x for x in metrics.splitlines() if x.startswith("gateway_http_requests_in_flight ")
        ]
        if float(line.split()[1]) >= requests + 1:
            return
        time.sleep(0.05)
    raise AssertionError(f"the gateway never had {requests} requests in flight")


@pytest.mark.slow
def test_sigterm_lets_requests_in_flight_finish(
    local_sagemaker: LocalSageMaker, faults: Any, demo_jobs: list[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "GATEWAY_AUTH_MODE": "none",
        "GATEWAY_SAGEMAKER_ENDPOINT_URL": local_sagemaker.endpoint_url,
        "GATEWAY_SHUTDOWN_GRACE_SECONDS": "10",
        "GATEWAY_LOG_LEVEL": "warning",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        faults.inject("DescribeAutoMLJobV2", code="", times=5, delay_seconds=1.5)

        def ask(name: str) -> int:
            response = httpx.post(
                f"{url}/graphql", json={"query": JOB, "variables": {"name": name}}, timeout=30
            )
            assert response.json()["data"]["autoMLJob"]["autoMLJobName"] == name
            return response.status_code

        with ThreadPoolExecutor(max_workers=5) as pool:
            futures = [pool.submit(ask, name) for name in demo_jobs[:5]]
            in_flight_before_sigterm(url, 5)
            server.send_signal(signal.SIGTERM)
            assert [future.result() for future in futures] == [200] * 5
        # uvicorn re-raises the signal once shut down, so the exit status is SIGTERM's
        assert server.wait(15) in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()


def test_protocol_errors_are_graphql_errors_with_a_code(gateway: GraphQLClient) -> None:
    for body in (b"{not json", b'{"variables": {}}'):
        response = gateway.http.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["requestId"] == response.headers["x-request-id"]


def metric_samples(client: GraphQLClient, name: str) -> list[str]:
    return [line for line in client.http.get("/metrics").text.splitlines() if line.startswith(name)]


def test_request_metrics_are_labelled_by_route_template(gateway: GraphQLClient) -> None:
    gateway.http.get("/graphiql/0123456789abcdef/nothing.js")
    gateway.http.get("/no/such/path")
    labels = " ".join(metric_samples(gateway, "gateway_http_request_seconds_count"))
    assert 'route="/graphiql/{digest}/{name}",status="404"' in labels
    assert 'route="other",status="404"' in labels
    assert "/no/such/path" not in labels


def lookups(client: GraphQLClient, cache: str, result: str) -> float:
    wanted = f'gateway_cache_lookups_total{{cache="{cache}",result="{result}"}}'
    samples = [line.split()[-1] for line in metric_samples(client, wanted)]
    return float(samples[0]) if samples else 0.0


def test_results_and_sagemaker_answers_are_cached_apart(gateway_settings: Settings) -> None:
    query = '{ autoMLJob(name: "customer-churn-xgb") { autoMLJobStatus } }'
    with gateway_with(
        gateway_settings, cache_ttl_seconds=300, result_cache_max_entries=0
    ) as client:
        client.data(query)
        before = {kind: lookups(client, kind, "hit") for kind in ("results", "sagemaker")}
        client.data(query)
        after = {kind: lookups(client, kind, "hit") for kind in ("results", "sagemaker")}
    # No whole result is kept, so the repeat runs again, answered from SageMaker's cache.
    assert after["results"] == before["results"]
    assert after["sagemaker"] == before["sagemaker"] + 1


def test_a_warm_answer_is_the_stored_bytes_with_no_graphql_work(
    gateway_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.schema import GatewaySchema

    executions: list[str | None] = []
    execute = GatewaySchema.execute

    async def counted(self: GatewaySchema, query: str | None, *args: Any, **kwargs: Any) -> Any:
        executions.append(query)
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(GatewaySchema, "execute", counted)
    body = {
        "query": "query Warm($n: String!) { autoMLJob(name: $n) { autoMLJobName } }",
        "variables": {"n": "customer-churn-xgb"},
        "operationName": "Warm",
    }
    with gateway_with(gateway_settings, cache_ttl_seconds=300) as client:
        cold = client.http.post("/graphql", json=body, headers={"X-Request-ID": "cold-1"})
        hits = lookups(client, "results", "hit")
        warm = client.http.post("/graphql", json=body, headers={"X-Request-ID": "warm-1"})
        assert lookups(client, "results", "hit") == hits + 1
        operations = metric_samples(client, 'gateway_graphql_operations_total{operation="Warm"')
        # Any other shape of the same operation (here a batch) still gets the same data.
        batch = client.http.post("/graphql", json=[body])
    assert len(executions) == 1
    assert warm.content == cold.content
    assert warm.headers["content-type"] == cold.headers["content-type"] == "application/json"
    assert warm.headers["x-request-id"] == "warm-1"
    assert operations == ['gateway_graphql_operations_total{operation="Warm",outcome="OK"} 2.0']
    assert batch.json() == [cold.json()]
