"""Authentication and authorization through real HTTP, on the local SageMaker."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.sagemaker.metrics import upstream_calls
from gateway.settings import Settings
from tests.auth.idp import AUDIENCE, IdentityProvider, KeyPair, running_identity_provider
from tests.gateway_server import GraphQLClient, running_gateway

POLICY = {"churn-team": ["customer-churn-*"], "admins": ["*"]}
JOBS = "{ autoMLJobs(first: 100) { totalCount edges { node { autoMLJobName } } } }"


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[tuple[IdentityProvider, KeyPair]]:
    key = KeyPair.rsa("gateway-test")
    with running_identity_provider() as idp:
        idp.publish(key)
        yield idp, key


def with_policy(base: Settings, idp: IdentityProvider, policy: dict[str, list[str]]) -> Settings:
    """``base`` with bearer tokens of ``idp`` and ``policy`` as the authorization policy."""
    return Settings(
        **base.model_dump()
        | {
            "auth_mode": "jwt",
            "jwt_issuer": idp.issuer,
            "jwt_jwks_url": idp.jwks_url,
            "jwt_audience": AUDIENCE,
            "authz_policy": json.dumps(policy),
        }
    )


@pytest.fixture(scope="module")
def jwt_gateway(
    gateway_settings: Settings, identity_provider: tuple[IdentityProvider, KeyPair]
) -> Iterator[GraphQLClient]:
    idp, _ = identity_provider
    with running_gateway(with_policy(gateway_settings, idp, POLICY)) as url:
        yield GraphQLClient(url)


def as_caller(
    client: GraphQLClient, provider: tuple[IdentityProvider, KeyPair], groups: list[str]
) -> GraphQLClient:
    idp, key = provider
    token = key.sign(idp.claims(groups=groups, sub=f"user-of-{'-'.join(groups) or 'none'}"))
    authorized = GraphQLClient(str(client.http.base_url))
    authorized.http.headers["Authorization"] = f"Bearer {token}"
    return authorized


def test_no_token_is_401_with_a_challenge_but_health_stays_open(jwt_gateway: GraphQLClient) -> None:
    response = jwt_gateway.http.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer realm="autopilot-gateway"')
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for path in ("/healthz", "/readyz", "/metrics"):
        assert jwt_gateway.http.get(path).status_code == 200
    assert jwt_gateway.http.get("/graphql", headers={"Accept": "text/html"}).status_code in (
        200,
        503,
    )


def test_a_bad_token_is_401_invalid_token(
    jwt_gateway: GraphQLClient, identity_provider: tuple[IdentityProvider, KeyPair]
) -> None:
    idp, key = identity_provider
    expired = key.sign(idp.claims(exp=1, iat=0))
    response = jwt_gateway.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {expired}"}
    )
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert expired not in response.text


def test_callers_see_only_their_jobs_in_lists(
    jwt_gateway: GraphQLClient,
    identity_provider: tuple[IdentityProvider, KeyPair],
    demo_jobs: list[str],
) -> None:
    admin = as_caller(jwt_gateway, identity_provider, ["admins"])
    churn = as_caller(jwt_gateway, identity_provider, ["churn-team"])
    nobody = as_caller(jwt_gateway, identity_provider, ["interns"])

    everything = admin.data(JOBS)["autoMLJobs"]
    assert everything["totalCount"] == len(demo_jobs)
    mine = churn.data(JOBS)["autoMLJobs"]
    churn_jobs = ["customer-churn-xgb-rerun", "customer-churn-xgb"]  # by name, descending
    assert [e["node"]["autoMLJobName"] for e in mine["edges"]] == churn_jobs
    assert mine["totalCount"] == 2
    assert nobody.data(JOBS)["autoMLJobs"] == {"totalCount": 0, "edges": []}
    # cached results never cross from one caller's access to another's
    assert admin.data(JOBS)["autoMLJobs"]["totalCount"] == len(demo_jobs)


def global_id(type_name: str, node_id: str) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


def test_a_foreign_job_does_not_exist_by_any_root_field_or_id(
    jwt_gateway: GraphQLClient, identity_provider: tuple[IdentityProvider, KeyPair]
) -> None:
    churn = as_caller(jwt_gateway, identity_provider, ["churn-team"])
    foreign, missing = "fraud-detection-auc", "no-such-job"
    candidate = as_caller(jwt_gateway, identity_provider, ["admins"]).data(
        f'{{ candidates(jobName: "{foreign}", first: 1) {{ edges {{ node {{ id }} }} }} }}'
    )["candidates"]["edges"][0]["node"]["id"]

    probes: list[tuple[str, dict[str, Any]]] = [
        ("query ($n: String!) { autoMLJob(name: $n) { autoMLJobName } }", {}),
        ("query ($n: String!) { candidates(jobName: $n) { edges { cursor } } }", {}),
        ("query ($id: ID!) { node(id: $id) { id } }", {"id": global_id("AutoMLJob", foreign)}),
        ("query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [candidate]}),
        # The leaderboards, and with them any report link of the job's candidates.
        (
            """query ($n: String!) { candidates(jobName: $n, orderBy: [{by: NAME}]) {
              edges { node { candidateProperties { candidateArtifactLocations {
                explainabilityUrl } } } } } }""",
            {},
        ),
        (
            """query ($n: String!) { leaderboard(jobNames: ["customer-churn-xgb", $n]) {
              edges { rank } } }""",
            {},
        ),
        (
            """query ($n: String!) { paretoFront(jobName: $n, x: {by: NAME},
              y: {by: CREATION_TIME}) { id } }""",
            {},
        ),
    ]
    for query, variables in probes:
        answers = []
        for name in (foreign, missing):
            extra = {"n": name} if "$n" in query else variables
            if name == missing and "$id" in query:
                extra = {"id": global_id("AutoMLJob", missing)}
            if name == missing and "$ids" in query:
                extra = {"ids": [global_id("Candidate", f"{missing}/x")]}
            body = churn.post(query, **extra)
            error = body["errors"][0]
            assert error["extensions"]["code"] == "NOT_FOUND", (query, name)
            answers.append(error["message"].replace(name, "<job>"))
        assert answers[0] == answers[1], "a foreign job must look exactly like a missing one"
    compared = churn.post(
        "query ($ids: [ID!]!) { compareCandidates(ids: $ids) { rows { metric } } }",
        ids=[candidate, candidate],
    )
    assert compared["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert compared["data"] is None


def test_proxy_mode_trusts_only_the_configured_proxies(gateway_settings: Settings) -> None:
    headers = {"X-Auth-Request-User": "alice", "X-Auth-Request-Groups": "admins"}
    query = {"query": "{ autoMLJobs(first: 1) { totalCount } }"}
    trusted = gateway_settings.model_dump() | {
        "auth_mode": "proxy",
        "authz_policy": json.dumps(POLICY),
    }
    with running_gateway(Settings(**trusted)) as url:
        client = GraphQLClient(url)
        response = client.http.post("/graphql", json=query, headers=headers)
        assert response.status_code == 200
        assert response.json()["data"]["autoMLJobs"]["totalCount"] > 1
        assert client.http.post("/graphql", json=query).status_code == 401
    untrusted = trusted | {"trusted_proxies": ["10.9.9.9/32"]}
    with running_gateway(Settings(**untrusted)) as url:
        response = GraphQLClient(url).http.post("/graphql", json=query, headers=headers)
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_callers_of_ten_scopes_share_the_sagemaker_reads_of_one(
    gateway_settings: Settings, identity_provider: tuple[IdentityProvider, KeyPair]
) -> None:
    """Reads are shared across access scopes; results and visibility stay per scope."""
    idp, _ = identity_provider
    teams = [f"team-{n}" for n in range(10)]
    policy = {team: ["customer-churn-*", f"team-{n}-only-*"] for n, team in enumerate(teams)}
    query = """{
      autoMLJob(name: "customer-churn-xgb") {
        autoMLJobStatus candidates(first: 5) { edges { node { candidateName } } }
      }
      autoMLJobs(first: 100) { edges { node { autoMLJobName } } }
    }"""
    with running_gateway(with_policy(gateway_settings, idp, policy)) as url:
        gateway = GraphQLClient(url)
        before = upstream_calls()
        answers = [as_caller(gateway, identity_provider, [team]).data(query) for team in teams]
        calls = upstream_calls() - before
        fraud = as_caller(gateway, identity_provider, [teams[3]]).error(
            '{ autoMLJob(name: "fraud-detection-auc") { autoMLJobName } }'
        )
    # One describe, one candidates page and one job list, whichever team asked first.
    assert calls == 3
    assert all(answer == answers[0] for answer in answers)
    names = [edge["node"]["autoMLJobName"] for edge in answers[0]["autoMLJobs"]["edges"]]
    assert names and all(name.startswith("customer-churn-") for name in names)
    assert fraud["extensions"]["code"] == "NOT_FOUND"
