"""SIGTERM closes subscriptions with the reconnect code, so clients resume on another pod; the
server keeps idle WebSockets alive with pings."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from gateway.local.server import LocalSageMaker
from gateway.settings import Settings
from tests.subscription_clients import sse_events, transport_ws

EVENTS = "subscription($job: String!) { candidateEvents(jobName: $job) { kind } }"
RUNNING = "fraud-detection-auc"  # InProgress for ever in the demo data


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(local_sagemaker: LocalSageMaker) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``python -m gateway serve`` in a process of its own, as a pod runs it."""
    port = free_port()
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
        yield url, server
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


@pytest.mark.slow
async def test_sigterm_closes_websockets_with_1012_and_ends_sse_streams(
    served: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, server = served
    async with transport_ws(url) as ws:
        await ws.start(EVENTS, job=RUNNING)
        stream = asyncio.create_task(sse_events(url, EVENTS, job=RUNNING))
        await asyncio.sleep(0.5)  # both subscribed
        signalled = time.monotonic()
        server.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                json.loads(await ws.socket.recv())
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
        status, events = await asyncio.wait_for(stream, 5)
        assert status == 200
        (error,) = events[-2][1]["errors"]  # then "complete": resume elsewhere
        assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
        assert "restarting" in error["message"]
    exited = await asyncio.to_thread(server.wait, 15)
    assert exited in (0, -signal.SIGTERM)
    assert time.monotonic() - signalled < 5  # not the whole grace period


def test_the_server_pings_websockets_at_the_configured_interval(
    monkeypatch: pytest.MonkeyPatch, gateway_settings: Settings
) -> None:
    """What `python -m gateway serve` hands uvicorn: pings every GATEWAY_WEBSOCKET_PING_SECONDS,
    and a WebSocket that does not answer one within as long is closed."""
    import uvicorn

    from gateway import __main__
    from gateway.__main__ import _serve

    served: dict[str, Any] = {}
    monkeypatch.setattr(__main__, "configure_logging", lambda level, log_format: None)
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(options))
    _serve(
        gateway_settings.model_copy(update={"websocket_ping_seconds": 7.5}),
        "127.0.0.1",
        0,
        local=False,
    )
    assert served["ws_ping_interval"] == served["ws_ping_timeout"] == 7.5
