"""Runs the real gateway under uvicorn on a free loopback port, in a background thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.sagemaker.client import StaticCredentials
from gateway.settings import Settings

TEST_CREDENTIALS = StaticCredentials("testing", "testing")


@contextmanager
def running_gateway(settings: Settings, **app_options: Any) -> Iterator[str]:
    """Serve the gateway until the block ends; yields its base URL.

    ``app_options`` go to :func:`gateway.app.create_app`.
    """
    with serving(create_app(settings, credentials=TEST_CREDENTIALS, **app_options)) as url:
        yield url


@contextmanager
def serving(app: Starlette, **server_options: Any) -> Iterator[str]:
    """Serve ``app`` (a gateway the test holds, to look into its state) until the block ends;
    yields its base URL. ``server_options`` go to uvicorn."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", **server_options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the gateway did not start")
        thread.join(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class GraphQLClient:
    """A minimal GraphQL-over-HTTP client, as a frontend would use."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def post(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.headers["content-type"].startswith("application/json")
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a query that must succeed."""
        body = self.post(query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def error(self, query: str, **variables: Any) -> dict[str, Any]:
        """The single error of a query that must fail."""
        body = self.post(query, **variables)
        assert len(body.get("errors", [])) == 1, body
        error: dict[str, Any] = body["errors"][0]
        return error
