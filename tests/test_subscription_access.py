"""Who may subscribe, from where, how much: real WebSockets and SSE on the demo jobs.

``fraud-detection-auc`` stays InProgress for ever in the demo data, so a subscription to it
stays open until the client, the token or the gateway ends it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from starlette.datastructures import Headers
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from gateway.http.subscriptions import ConnectionLimits, ConnectionRefused, connection_headers
from gateway.settings import Settings
from tests.auth.idp import AUDIENCE, IdentityProvider, KeyPair, running_identity_provider
from tests.gateway_server import running_gateway
from tests.subscription_clients import PROTOCOL, sse_events, transport_ws, ws_url

POLICY = {"churn-team": ["customer-churn-*"], "admins": ["*"]}
RUNNING = "fraud-detection-auc"
EVENTS = "subscription($job: String!) { candidateEvents(jobName: $job) { kind } }"
TOP = "subscription($job: String!) { leaderboardUpdates(jobName: $job, first: 1) { totalCount } }"
FRONTEND = "https://ml.example.com"


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[tuple[IdentityProvider, KeyPair]]:
    key = KeyPair.rsa("subscriptions")
    with running_identity_provider() as idp:
        idp.publish(key)
        yield idp, key


@pytest.fixture(scope="module")
def secured(
    gateway_settings: Settings, identity_provider: tuple[IdentityProvider, KeyPair]
) -> Iterator[str]:
    """Bearer tokens, a policy, one frontend origin, and small limits to reach."""
    idp, _ = identity_provider
    settings = Settings(
        **gateway_settings.model_dump()
        | {
            "auth_mode": "jwt",
            "jwt_issuer": idp.issuer,
            "jwt_jwks_url": idp.jwks_url,
            "jwt_audience": AUDIENCE,
            "jwt_leeway_seconds": 0,
            "authz_policy": json.dumps(POLICY),
            "cors_allow_origins": [FRONTEND],
            "subscriptions_per_connection": 2,
            "connections_per_caller": 2,
            "websocket_ping_seconds": 0.3,
        }
    )
    with running_gateway(settings) as url:
        yield url


def token(provider: tuple[IdentityProvider, KeyPair], groups: list[str], **claims: Any) -> str:
    idp, key = provider
    return key.sign(idp.claims(**{"groups": groups, "sub": f"user-{'-'.join(groups)}", **claims}))


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


async def close_code(url: str, payload: dict[str, Any], **headers: str) -> int | None:
    """The code the gateway closes a connection with after its ``connection_init``."""
    async with connect(ws_url(url), subprotocols=[PROTOCOL], additional_headers=headers) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(ConnectionClosed):
            while True:
                await ws.recv()
        return ws.close_code


async def test_a_connection_without_a_valid_token_is_closed_with_4401(secured: str) -> None:
    assert await close_code(secured, {}) == 4401
    assert await close_code(secured, bearer("not-a-token")) == 4401
    assert await close_code(secured, {"Authorization": 42}) == 4401


async def test_the_token_may_come_in_connection_init_or_the_upgrade_header(
    secured: str, identity_provider: tuple[IdentityProvider, KeyPair]
) -> None:
    admin = token(identity_provider, ["admins"])
    async with transport_ws(secured, payload=bearer(admin)) as ws:
        (top,) = await ws.collect(TOP, job="customer-churn-xgb")
        assert top["data"]["leaderboardUpdates"]["totalCount"] == 250
    async with transport_ws(secured, headers=bearer(admin)) as ws:
        (top,) = await ws.collect(TOP, job="customer-churn-xgb")
        assert top["data"]["leaderboardUpdates"]["totalCount"] == 250


async def test_a_job_outside_the_callers_policy_is_not_found_on_both_transports(
    secured: str, identity_provider: tuple[IdentityProvider, KeyPair]
) -> None:
    churn = token(identity_provider, ["churn-team"])
    async with transport_ws(secured, payload=bearer(churn)) as ws:
        (foreign,) = await ws.collect(EVENTS, job=RUNNING)
        (missing,) = await ws.collect(EVENTS, job="no-such-job")
        (allowed,) = await ws.collect(EVENTS, job="customer-churn-xgb")
    assert foreign["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert foreign["errors"][0]["message"] == missing["errors"][0]["message"].replace(
        "no-such-job", RUNNING
    )
    assert allowed["data"]["candidateEvents"]["kind"] == "JOB_STATUS_CHANGED"
    status, events = await sse_events(secured, EVENTS, headers=bearer(churn), job=RUNNING)
    assert status == 200
    assert events[0][1]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    status, events = await sse_events(secured, EVENTS, job=RUNNING)
    assert status == 401
    assert events[0][1]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.slow
async def test_a_subscription_ends_with_an_error_when_the_token_expires(
    secured: str, identity_provider: tuple[IdentityProvider, KeyPair]
) -> None:
    short = token(identity_provider, ["admins"], exp=int(time.time()) + 2)
    started = time.monotonic()

    async def over_websocket() -> dict[str, Any]:
        async with transport_ws(secured, payload=bearer(short)) as ws:
            (ended,) = await ws.collect(EVENTS, job=RUNNING)
            return ended

    ended, (status, events) = await asyncio.gather(
        over_websocket(), sse_events(secured, EVENTS, headers=bearer(short), job=RUNNING)
    )
    assert status == 200 and events[-1] == ("complete", None)
    for error in (ended["errors"][0], events[-2][1]["errors"][0]):
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert "expired" in error["message"]
    assert time.monotonic() - started < 4
    status, _ = await sse_events(secured, EVENTS, headers=bearer(short), job=RUNNING)
    assert status == 401  # and an expired token cannot start another


def pollers() -> float:
    return REGISTRY.get_sample_value("gateway_live_pollers") or 0.0


async def test_one_poller_while_anyone_watches_none_after_the_last_leaves(
    secured: str, identity_provider: tuple[IdentityProvider, KeyPair]
) -> None:
    admin = bearer(token(identity_provider, ["admins"]))
    assert pollers() == 0
    async with (
        transport_ws(secured, payload=admin) as one,
        transport_ws(secured, payload=admin) as two,
    ):
        first, second = await one.start(EVENTS, job=RUNNING), await two.start(EVENTS, job=RUNNING)
        await asyncio.sleep(0.3)
        assert pollers() == 1
        await one.socket.send(json.dumps({"id": first, "type": "complete"}))
        await asyncio.sleep(0.1)
        assert pollers() == 1  # the other still watches
        await two.socket.send(json.dumps({"id": second, "type": "complete"}))
        await asyncio.sleep(0.1)
        assert pollers() == 0


async def test_every_subscription_has_its_own_request_id(
    secured: str, identity_provider: tuple[IdentityProvider, KeyPair]
) -> None:
    admin = bearer(token(identity_provider, ["admins"]))
    async with transport_ws(secured, payload=admin) as ws:
        (one,) = await ws.collect(EVENTS, job="no-such-job")
        (two,) = await ws.collect(EVENTS, job="no-such-job")
    ids = [m["errors"][0]["extensions"]["requestId"] for m in (one, two)]
    assert ids[0] != ids[1] and "-" not in ids


async def test_upgrades_from_other_origins_are_refused(
    secured: str, identity_provider: tuple[IdentityProvider, KeyPair]
) -> None:
    admin = bearer(token(identity_provider, ["admins"]))
    with pytest.raises(InvalidStatus) as refused:
        async with transport_ws(secured, payload=admin, headers={"Origin": "https://evil.example"}):
            pass
    assert refused.value.response.status_code == 403
    for origin in (FRONTEND, secured):  # the listed frontend, and the gateway's own (GraphiQL)
        async with transport_ws(secured, payload=admin, headers={"Origin": origin}) as ws:
            (top,) = await ws.collect(TOP, job="customer-churn-xgb")
            assert "errors" not in top


async def test_over_the_limits_a_coded_error_or_close_code(
    secured: str, identity_provider: tuple[IdentityProvider, KeyPair]
) -> None:
    limited = bearer(token(identity_provider, ["admins"], sub="dashboard-wall"))
    async with (
        transport_ws(secured, payload=limited) as one,
        transport_ws(secured, payload=limited),
    ):
        await one.start(EVENTS, job=RUNNING)
        await one.start(EVENTS, job=RUNNING)
        third = await one.start(EVENTS, job=RUNNING)
        refusal = await one.receive()
        assert (refusal["id"], refusal["type"]) == (third, "error")
        assert refusal["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert await close_code(secured, limited) == 4429
        status, body = await sse_events(secured, TOP, headers=limited, job="customer-churn-xgb")
        assert status == 429
        assert body[0][1]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    await asyncio.sleep(0.1)  # both closed: the caller may connect again
    async with transport_ws(secured, payload=limited) as again:
        (top,) = await again.collect(TOP, job="customer-churn-xgb")
        assert "errors" not in top


async def test_an_idle_sse_stream_gets_keep_alive_pings(
    secured: str, identity_provider: tuple[IdentityProvider, KeyPair]
) -> None:
    admin = bearer(token(identity_provider, ["admins"]))
    async with (
        httpx.AsyncClient(base_url=secured, timeout=10) as client,
        client.stream(
            "POST",
            "/graphql",
            json={"query": EVENTS, "variables": {"job": RUNNING}},
            headers={"accept": "text/event-stream", **admin},
        ) as response,
    ):
        lines = response.aiter_lines()
        seen = [await anext(lines) for _ in range(4)]
    assert ": ping" in seen


def test_connection_init_authorization_replaces_the_upgrade_header() -> None:
    upgrade = Headers(raw=[(b"authorization", b"Bearer old"), (b"origin", b"https://a.example")])
    given = connection_headers(upgrade, {"authorization": "Bearer new"})
    assert given.getlist("authorization") == ["Bearer new"]
    assert given["origin"] == "https://a.example"
    assert connection_headers(upgrade, {"other": 1}) is upgrade
    for bad in ({"Authorization": ["Bearer a"]}, {"Authorization": "a", "authorization": "b"}):
        with pytest.raises(ConnectionRefused) as refused:
            connection_headers(upgrade, bad)
        assert refused.value.code == 4401


def test_connection_limits_count_per_caller() -> None:
    limits = ConnectionLimits(per_caller=2)
    limits.acquire("a")
    limits.acquire("a")
    limits.acquire("b")
    with pytest.raises(ConnectionRefused) as refused:
        limits.acquire("a")
    assert refused.value.code == 4429
    limits.release("a")
    limits.acquire("a")


def test_a_refusal_reason_fits_a_close_frame() -> None:
    assert len(ConnectionRefused(4401, "é" * 200).reason.encode()) <= 123
