"""HTTP caching through real HTTP: GET operations carry an ETag and how long their data stays
valid; If-None-Match answers 304 without SageMaker; POSTs and errors are never stored."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import REGISTRY

from gateway.settings import Settings
from tests.gateway_server import GraphQLClient, running_gateway
from tests.http.test_persisted import apq, sha256

PREFLIGHT = {"GraphQL-Require-Preflight": "1", "Accept": "application/json"}
FINISHED = '{{ autoMLJob(name: "customer-churn-xgb") {{ autoMLJobStatus t{tag}: __typename }} }}'


def finished_job_query() -> str:
    """A query of a finished job no other test sent: its result is not cached yet."""
    return FINISHED.format(tag=uuid.uuid4().hex)


def upstream_calls() -> float:
    """SageMaker calls made by every gateway in this process so far."""
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "gateway_upstream_calls"
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


def get(client: GraphQLClient, query: str, **headers: str) -> httpx.Response:
    return client.http.get("/graphql", params={"query": query}, headers=PREFLIGHT | headers)


def max_age(response: httpx.Response) -> int:
    match = re.fullmatch(r"private, max-age=(\d+)", response.headers["cache-control"])
    assert match, response.headers["cache-control"]
    return int(match[1])


def test_a_get_carries_an_etag_and_the_datas_validity(gateway: GraphQLClient) -> None:
    query = finished_job_query()
    first = get(gateway, query)
    assert first.status_code == 200 and "errors" not in first.json()
    assert re.fullmatch(r'"[0-9a-f]{32}"', first.headers["etag"])
    assert 0 < max_age(first) <= 300  # a finished job: GATEWAY_CACHE_TTL_SECONDS
    assert first.headers["vary"] == "Authorization"
    warm = get(gateway, query)
    assert warm.headers["etag"] == first.headers["etag"]
    assert warm.content == first.content
    assert max_age(warm) <= max_age(first)


def test_if_none_match_answers_304_without_sagemaker(gateway: GraphQLClient) -> None:
    query = finished_job_query()
    tag = get(gateway, query).headers["etag"]
    calls = upstream_calls()
    response = get(gateway, query, **{"If-None-Match": tag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == tag
    assert response.headers["vary"] == "Authorization"
    assert 0 < max_age(response) <= 300
    assert get(gateway, query, **{"If-None-Match": f'"other", W/{tag}'}).status_code == 304
    assert upstream_calls() == calls
    stale = get(gateway, query, **{"If-None-Match": '"0123456789abcdef0123456789abcdef"'})
    assert stale.status_code == 200 and stale.headers["etag"] == tag


def test_persisted_gets_are_cached_alike(gateway: GraphQLClient) -> None:
    query = finished_job_query()
    digest = sha256(query)
    gateway.http.post("/graphql", json={"query": query, "extensions": apq(digest)})
    params = {"extensions": f'{{"persistedQuery": {{"version": 1, "sha256Hash": "{digest}"}}}}'}
    first = gateway.http.get("/graphql", params=params)
    assert first.status_code == 200 and max_age(first) > 0
    again = gateway.http.get(
        "/graphql", params=params, headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


def test_post_answers_say_no_store(gateway: GraphQLClient) -> None:
    query = finished_job_query()
    cold = gateway.http.post("/graphql", json={"query": query})
    warm = gateway.http.post("/graphql", json={"query": query})
    batch = gateway.http.post("/graphql", json=[{"query": query}, {"query": "{ __typename }"}])
    refused = gateway.http.post("/graphql", json=1)
    for response in [cold, warm, batch, refused]:
        assert response.headers["cache-control"] == "no-store", response.text
        assert "etag" not in response.headers


def test_gets_with_errors_say_no_store(gateway: GraphQLClient) -> None:
    for query in ['{ autoMLJob(name: "no-such-job") { autoMLJobName } }', "{ nope }"]:
        response = get(gateway, query)
        assert response.json()["errors"]
        assert response.headers["cache-control"] == "no-store"
        assert "etag" not in response.headers


@pytest.fixture(scope="module")
def briefly_caching(gateway_settings: Settings) -> Iterator[GraphQLClient]:
    """A gateway whose results stay valid one second."""
    with running_gateway(gateway_settings.model_copy(update={"cache_ttl_seconds": 1})) as url:
        yield GraphQLClient(url)


def test_after_the_result_expired_the_operation_runs_and_304_needs_the_same_bytes(
    briefly_caching: GraphQLClient,
) -> None:
    query = finished_job_query()
    first = get(briefly_caching, query)
    tag = first.headers["etag"]
    assert first.headers["cache-control"] in {"private, max-age=1", "private, no-cache"}
    time.sleep(1.1)
    calls = upstream_calls()
    response = get(briefly_caching, query, **{"If-None-Match": tag})
    assert upstream_calls() > calls  # expired: SageMaker was asked again
    assert response.status_code == 304 and response.content == b""
    time.sleep(1.1)
    changed = get(briefly_caching, query, **{"If-None-Match": '"0123456789abcdef0123456789abcdef"'})
    assert changed.status_code == 200 and changed.headers["etag"] == tag
