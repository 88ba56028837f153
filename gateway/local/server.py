"""A local SageMaker endpoint (moto's server plus faithful Autopilot) on a background thread.

    with LocalSageMaker() as sagemaker:          # seeded with the demo jobs, free port
        client = boto3.client("sagemaker", endpoint_url=sagemaker.endpoint_url, ...)

Any credentials are accepted. AutoML state lives in the instance's own :class:`LocalAutopilot`
(``.autopilot``), so two servers never see each other's jobs; other SageMaker resources are
moto's, whose backends are process-global and therefore shared between servers in one process.
The same endpoint serves moto's S3 (path-style), where every candidate with artifact locations
has its reports (see reports.py), so presigned report URLs download from it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from flask import Flask
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler
from werkzeug.serving import BaseWSGIServer, make_server

from gateway.local.report_storage import ReportStorage
from gateway.local.responses import create_app
from gateway.local.seed import seed_demo_jobs, seed_live_demo_job
from gateway.local.store import LocalAutopilot
from gateway.local.wire import current_time


class _QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without werkzeug's one-line-per-request log on stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LocalSageMaker:
    """An HTTP SageMaker endpoint for development and tests; ``start()`` binds the port."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: bool = True,
        live_demo: bool = False,
        region: str = "us-east-1",
        clock: Callable[[], datetime] = current_time,
    ) -> None:
        """``seed``: the fixed demo jobs; ``live_demo``: also one that runs in wall-clock time.

        ``clock`` is the time live jobs run by: a test may pass one it moves itself.
        """
        self.host = host
        self._requested_port = port
        self._region = region
        self.autopilot = LocalAutopilot(
            default_region=region, observer=ReportStorage(), clock=clock
        )
        if seed:
            seed_demo_jobs(self.autopilot)
        if live_demo:
            seed_live_demo_job(self.autopilot)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def region(self) -> str:
        """The region the demo jobs are seeded in (clients may use any region)."""
        return self._region

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("LocalSageMaker is not started")
        return int(self._server.server_port)

    @property
    def endpoint_url(self) -> str:
        """The URL to give boto3/aioboto3 as ``endpoint_url``."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def _app(self, service: str) -> Flask:
        return create_app(service, self.autopilot)

    def start(self) -> LocalSageMaker:
        """Bind (port 0 picks a free port) and serve on a daemon thread."""
        if self._server is not None:
            raise RuntimeError("LocalSageMaker is already started")
        app = DomainDispatcherApplication(self._app)
        self._server = make_server(
            self.host,
            self._requested_port,
            app,
            threaded=True,
            request_handler=_QuietRequestHandler,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"local-sagemaker-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (a no-op if not started)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()

    def wait(self) -> None:
        """Block until the server stops (Ctrl+C stops it), e.g. for a CLI command."""
        try:
            while (thread := self._thread) is not None and thread.is_alive():
                thread.join(timeout=0.5)
        except KeyboardInterrupt:
            self.stop()

    def serve_forever(self) -> None:
        """Start if needed, then serve until interrupted."""
        if self._server is None:
            self.start()
        self.wait()

    def __enter__(self) -> LocalSageMaker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
