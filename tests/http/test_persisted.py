"""Persisted operations through real HTTP: Apollo's automatic persisted queries, trusted
documents by id, and a gateway that runs nothing else."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.settings import Settings
from tests.gateway_server import GraphQLClient, running_gateway
from tests.http.test_bad_requests import assert_coded, refused

STATUS = '{ autoMLJob(name: "customer-churn-xgb") { autoMLJobStatus } }'
STATUS_DATA = {"autoMLJob": {"autoMLJobStatus": "COMPLETED"}}
NAMES = "query Names($n: Int) { autoMLJobs(first: $n) { edges { node { autoMLJobName } } } }"
NOT_TRUSTED = "{ __typename }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def unique_query() -> str:
    """A query no other test registered: APQ's store is the session gateway's."""
    return f"query Q{uuid.uuid4().hex} {{ __typename }}"


def post(client: GraphQLClient, payload: Any) -> httpx.Response:
    return client.http.post("/graphql", json=payload)


def get(client: GraphQLClient, **params: Any) -> httpx.Response:
    """A GET as ``fetch`` sends it (``Accept: */*``), without the preflight header:
    persisted operations need none."""
    query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return client.http.get("/graphql", params=query)


def not_found(response: httpx.Response) -> dict[str, Any]:
    (error,) = assert_coded(response)
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND", error
    assert response.headers["cache-control"] == "no-store"
    return error


# Automatic persisted queries


def test_an_unknown_hash_asks_for_the_text_as_apollo_client_expects(
    gateway: GraphQLClient,
) -> None:
    digest = sha256(unique_query())
    for response in [
        post(gateway, {"extensions": apq(digest)}),
        get(gateway, extensions=apq(digest)),
    ]:
        assert response.status_code == 200
        assert not_found(response)["message"] == "PersistedQueryNotFound"


def test_a_registered_query_runs_by_its_hash_by_post_and_get(gateway: GraphQLClient) -> None:
    query = unique_query()
    digest = sha256(query)
    registered = post(gateway, {"query": query, "extensions": apq(digest)})
    assert registered.json() == {"data": {"__typename": "Query"}}
    assert post(gateway, {"extensions": apq(digest)}).json() == {"data": {"__typename": "Query"}}
    by_get = get(gateway, extensions=apq(digest))
    assert by_get.status_code == 200
    assert by_get.json() == {"data": {"__typename": "Query"}}


def test_variables_and_operation_names_go_with_the_hash(gateway: GraphQLClient) -> None:
    digest = sha256(NAMES)
    post(gateway, {"query": NAMES, "extensions": apq(digest), "variables": {"n": 1}})
    body = get(gateway, extensions=apq(digest), variables={"n": 2}, operationName="Names").json()
    assert len(body["data"]["autoMLJobs"]["edges"]) == 2


def test_the_hash_is_checked_against_the_text(gateway: GraphQLClient) -> None:
    query = unique_query()
    wrong = sha256(query + " ")
    refused(post(gateway, {"query": query, "extensions": apq(wrong)}), "SHA-256", "sha256Hash")
    not_found(post(gateway, {"extensions": apq(wrong)}))  # and it was not kept


@pytest.mark.parametrize(
    ("persisted", "fragment"),
    [
        ({"version": 2, "sha256Hash": "0" * 64}, "only version 1"),
        ({"version": 1, "sha256Hash": "xyz"}, "64 hexadecimal digits"),
        ({"version": 1}, "64 hexadecimal digits"),
        ("abc", "must be {"),
    ],
)
def test_malformed_persisted_query_extensions_say_what_to_send(
    gateway: GraphQLClient, persisted: object, fragment: str
) -> None:
    refused(post(gateway, {"extensions": {"persistedQuery": persisted}}), fragment)


# Trusted documents

RELAY_MANIFEST = {"status-1": STATUS, "names-1": NAMES}
APOLLO_MANIFEST = {
    "format": "apollo-persisted-query-manifest",
    "version": 1,
    "operations": [
        {"id": sha256(STATUS), "name": None, "type": "query", "body": STATUS},
        {"id": sha256(NAMES), "name": "Names", "type": "query", "body": NAMES},
    ],
}


def trusted_gateway(
    base: Settings, directory: Path, manifest: Any, *, only: bool
) -> Iterator[GraphQLClient]:
    path = directory / "manifest.json"
    path.write_text(json.dumps(manifest))
    settings = base.model_copy(
        update={"trusted_documents": str(path), "trusted_documents_only": only}
    )
    with running_gateway(settings) as url:
        yield GraphQLClient(url)


@pytest.fixture(scope="module", params=["relay", "apollo"])
def trusted_only(
    request: pytest.FixtureRequest,
    gateway_settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[GraphQLClient]:
    """A gateway that runs only the trusted documents, from either manifest format."""
    manifest = RELAY_MANIFEST if request.param == "relay" else APOLLO_MANIFEST
    directory = tmp_path_factory.mktemp(request.param)
    yield from trusted_gateway(gateway_settings, directory, manifest, only=True)


@pytest.fixture(scope="module")
def trusting(
    gateway_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GraphQLClient]:
    """A gateway with trusted documents that runs other operations too."""
    directory = tmp_path_factory.mktemp("trusting")
    yield from trusted_gateway(gateway_settings, directory, RELAY_MANIFEST, only=False)


def test_trusted_documents_run_by_id_in_every_spelling(trusting: GraphQLClient) -> None:
    for member in ["documentId", "doc_id", "id"]:
        assert post(trusting, {member: "status-1"}).json() == {"data": STATUS_DATA}
        assert get(trusting, **{member: "status-1"}).json() == {"data": STATUS_DATA}
    body = post(trusting, {"documentId": "names-1", "variables": {"n": 1}}).json()
    assert len(body["data"]["autoMLJobs"]["edges"]) == 1


def test_trusted_documents_run_by_their_apq_hash(trusting: GraphQLClient) -> None:
    assert post(trusting, {"extensions": apq(sha256(STATUS))}).json() == {"data": STATUS_DATA}


def test_an_unknown_document_id_is_not_found(trusting: GraphQLClient) -> None:
    error = not_found(post(trusting, {"documentId": "status-0"}))
    assert "status-0" in error["message"] and "manifest" in error["message"]
    assert post(trusting, {"documentId": "status-0"}).status_code == 400


def test_other_operations_still_run_without_trusted_only(trusting: GraphQLClient) -> None:
    assert trusting.data(NOT_TRUSTED) == {"__typename": "Query"}


def not_allowed(response: httpx.Response) -> None:
    (error,) = assert_coded(response)
    assert response.status_code == 400
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED", error
    assert "`documentId`" in error["message"]


def test_trusted_only_refuses_every_other_operation(trusted_only: GraphQLClient) -> None:
    not_allowed(post(trusted_only, {"query": NOT_TRUSTED}))
    not_allowed(post(trusted_only, {"query": NOT_TRUSTED, "extensions": apq(sha256(NOT_TRUSTED))}))
    not_allowed(post(trusted_only, [{"query": STATUS}, {"query": NOT_TRUSTED}]))
    headers = {"GraphQL-Require-Preflight": "1", "Accept": "application/json"}
    not_allowed(trusted_only.http.get("/graphql", params={"query": NOT_TRUSTED}, headers=headers))
    # A hash it does not know is not found, whatever APQ registered elsewhere.
    not_found(post(trusted_only, {"extensions": apq(sha256(NOT_TRUSTED))}))


def test_trusted_only_runs_the_manifests_documents(trusted_only: GraphQLClient) -> None:
    assert post(trusted_only, {"extensions": apq(sha256(STATUS))}).json() == {"data": STATUS_DATA}
    assert get(trusted_only, extensions=apq(sha256(STATUS))).json() == {"data": STATUS_DATA}
    # The text of a trusted document is that document, sent in full.
    assert trusted_only.data(STATUS) == STATUS_DATA
    # Either manifest's documents are known by their SHA-256 too.
    assert post(trusted_only, {"documentId": sha256(STATUS)}).json() == {"data": STATUS_DATA}
