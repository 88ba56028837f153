"""A WebSocket is no way around the guards of HTTP: real WebSockets (and SSE) on the demo jobs.

Only subscriptions run over a stream; each subscribe passes the trusted-documents rule, takes
a token of its caller's rate and spends its SageMaker reads from the caller's budget, runs with
a context of its own, and anonymous callers' connections are counted per address.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from hashlib import sha256
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gateway.app import create_app
from gateway.schema import GatewaySchema
from gateway.schema.context import Context
from gateway.settings import Settings
from tests.gateway_server import TEST_CREDENTIALS, running_gateway, serving
from tests.subscription_clients import PROTOCOL, sse_events, transport_ws, ws_url

RUNNING = "fraud-detection-auc"  # InProgress for ever in the demo data
TOP = "subscription($job: String!) { leaderboardUpdates(jobName: $job, first: 1) { totalCount } }"
EVENTS = "subscription($job: String!) { candidateEvents(jobName: $job) { kind } }"
JOB = "query ($name: String!) { autoMLJob(name: $name) { autoMLJobName } }"
FINISHED = "customer-churn-xgb"


def only_error(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The one GraphQL error of a subscription refused at once (an ``error`` message or a
    ``next`` with errors)."""
    (message,) = messages
    errors = message["error"] if "error" in message else message["errors"]
    (error,) = errors
    assert error["extensions"]["requestId"], error
    return dict(error)


@pytest.fixture(scope="module")
def trusted_only(
    gateway_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    manifest = tmp_path_factory.mktemp("manifest") / "persisted-queries.json"
    manifest.write_text(json.dumps({"top": TOP}))
    settings = gateway_settings.model_copy(
        update={"trusted_documents": str(manifest), "trusted_documents_only": True}
    )
    with running_gateway(settings) as url:
        yield url


async def test_queries_run_over_http_only(gateway_settings: Settings) -> None:
    with running_gateway(gateway_settings) as url:
        async with transport_ws(url) as ws:
            refused = only_error(await ws.collect(JOB, name=FINISHED))
            (top,) = await ws.collect(TOP, job=FINISHED)  # the connection stays usable
        assert refused["extensions"]["code"] == "BAD_USER_INPUT"
        assert "HTTP POST" in refused["message"]
        assert top["data"]["leaderboardUpdates"]["totalCount"] == 250
        status, events = await sse_events(url, JOB, name=FINISHED)
        assert status == 200
        (event, data) = events[0]
        assert event == "next"
        assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "HTTP POST" in data["errors"][0]["message"]
        assert "data" not in data or data["data"] is None


async def test_trusted_only_refuses_free_text_over_websockets_and_runs_its_documents(
    trusted_only: str,
) -> None:
    async with transport_ws(trusted_only) as ws:
        refused = only_error(await ws.collect(EVENTS, job=FINISHED))
        (by_text,) = await ws.collect(TOP, job=FINISHED)  # a trusted document's own text
        await ws.socket.send(
            json.dumps(
                {
                    "id": "named",
                    "type": "subscribe",
                    "payload": {"documentId": "top", "variables": {"job": FINISHED}},
                }
            )
        )
        (top,) = await ws.messages("named")
        hashed = {"persistedQuery": {"version": 1, "sha256Hash": sha256(TOP.encode()).hexdigest()}}
        await ws.socket.send(
            json.dumps(
                {
                    "id": "hashed",
                    "type": "subscribe",
                    "payload": {"extensions": hashed, "variables": {"job": FINISHED}},
                }
            )
        )
        (by_hash,) = await ws.messages("hashed")
        await ws.socket.send(
            json.dumps({"id": "unknown", "type": "subscribe", "payload": {"documentId": "nope"}})
        )
        unknown = only_error(await ws.messages("unknown"))
    assert refused["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
    assert (
        top["data"]
        == by_hash["data"]
        == by_text["data"]
        == {"leaderboardUpdates": {"totalCount": 250}}
    )
    assert unknown["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_each_subscribe_takes_a_token_of_the_callers_http_rate(
    gateway_settings: Settings,
) -> None:
    settings = gateway_settings.model_copy(
        update={"rate_limit_per_minute": 1, "rate_limit_burst": 2}
    )
    with running_gateway(settings) as url:
        async with transport_ws(url) as ws:
            first = await ws.collect(TOP, job=FINISHED)
            second = await ws.collect(TOP, job=FINISHED)
            third = only_error(await ws.collect(TOP, job=FINISHED))
        async with httpx.AsyncClient(base_url=url) as client:
            over_http = await client.post(
                "/graphql", json={"query": JOB, "variables": {"name": FINISHED}}
            )
    assert first[0]["data"] == second[0]["data"] == {"leaderboardUpdates": {"totalCount": 250}}
    assert third["extensions"]["code"] == "THROTTLED"
    assert "try again in" in third["message"]
    assert over_http.status_code == 429  # one bucket for the caller, whatever the transport


async def test_a_subscriptions_sagemaker_reads_spend_the_callers_budget(
    gateway_settings: Settings, demo_jobs: list[str]
) -> None:
    first, second = [name for name in demo_jobs if name != RUNNING][:2]
    settings = gateway_settings.model_copy(update={"sagemaker_calls_per_minute": 1})
    with running_gateway(settings) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            spent = await client.post("/graphql", json={"query": JOB, "variables": {"name": first}})
        assert spent.json()["data"]["autoMLJob"]["autoMLJobName"] == first
        async with transport_ws(url) as ws:
            over = only_error(await ws.collect(EVENTS, job=second))
    assert over["extensions"]["code"] == "THROTTLED"
    assert "SageMaker calls a minute" in over["message"]


async def test_each_operation_of_a_connection_has_its_own_context(
    gateway_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another subscribe on the connection leaves a running operation's context (its read
    budget, deadline and freshness) as it was."""
    seen: list[tuple[Context, object]] = []
    stream = GatewaySchema.stream

    async def recording(self: GatewaySchema, query: str | None, *args: Any, **kwargs: Any) -> Any:
        context = kwargs["context_value"]
        seen.append((context, context.autopilot))
        return await stream(self, query, *args, **kwargs)

    monkeypatch.setattr(GatewaySchema, "stream", recording)
    with running_gateway(gateway_settings) as url:
        async with transport_ws(url) as ws:
            await ws.start(EVENTS, job=RUNNING)
            await ws.start(EVENTS, job=RUNNING)
            (top,) = await ws.collect(TOP, job=FINISHED)
    assert top["data"]["leaderboardUpdates"]["totalCount"] == 250
    contexts = [context for context, _ in seen]
    assert len({id(context) for context in contexts}) == 3
    assert len({id(autopilot) for _, autopilot in seen}) == 3
    first, autopilot = seen[0]
    assert first.autopilot is autopilot  # untouched by the later subscribes


async def close_code(url: str, local_address: str) -> int | None:
    """The code a connection from ``local_address`` is closed with after connection_init,
    or None while it stays open."""
    async with connect(
        ws_url(url),
        subprotocols=[PROTOCOL],  # type: ignore[list-item]
        local_addr=(local_address, 0),
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        try:
            ack = json.loads(await ws.recv())
        except ConnectionClosed:
            return ws.close_code
        assert ack["type"] == "connection_ack"
        return None


async def test_anonymous_callers_connections_are_counted_per_address(
    gateway_settings: Settings,
) -> None:
    settings = gateway_settings.model_copy(update={"connections_per_caller": 1})
    with running_gateway(settings) as url:
        async with transport_ws(url) as held:
            await held.start(EVENTS, job=RUNNING)
            assert await close_code(url, "127.0.0.1") == 4429
            assert await close_code(url, "127.0.0.2") is None


async def test_websocket_messages_are_held_to_the_request_size_limit(
    monkeypatch: pytest.MonkeyPatch, gateway_settings: Settings
) -> None:
    """What `python -m gateway serve` hands uvicorn (which takes 16 MiB otherwise): a larger
    message closes the connection with 1009."""
    import uvicorn

    from gateway import __main__

    served: dict[str, Any] = {}
    monkeypatch.setattr(__main__, "configure_logging", lambda level, log_format: None)
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(options))
    settings = gateway_settings.model_copy(update={"max_request_bytes": 4096})
    __main__._serve(settings, "127.0.0.1", 0, local=False)
    assert served["ws_max_size"] == 4096
    app = create_app(settings, credentials=TEST_CREDENTIALS)
    with serving(app, ws_max_size=served["ws_max_size"]) as url:
        async with transport_ws(url) as ws:
            (top,) = await ws.collect(TOP + " " * 3000, job=FINISHED)
            assert top["data"]["leaderboardUpdates"]["totalCount"] == 250
            with pytest.raises(ConnectionClosed):
                await ws.collect(TOP + " " * 5000, job=FINISHED)
        assert ws.socket.close_code == 1009
