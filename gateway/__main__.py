"""Command line: ``python -m gateway {serve,local-sagemaker,export-schema}``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from gateway.http.manifests import ManifestError, load_trusted_documents
from gateway.observability import configure_logging
from gateway.settings import Settings

if TYPE_CHECKING:
    from gateway.local.server import LocalSageMaker

LOCAL_CREDENTIALS = ("local", "local")
BIND_HOST_HELP = "Address to bind (default: %(default)s)."
BIND_PORT_HELP = "Port to bind (default: %(default)s)."


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="Serve the GraphQL gateway.")
    serve.add_argument("--host", default="127.0.0.1", help=BIND_HOST_HELP)
    serve.add_argument("--port", type=int, default=8000, help=BIND_PORT_HELP)
    serve.add_argument(
        "--local",
        action="store_true",
        help="Also run a local SageMaker with demo Autopilot jobs and point the gateway at it.",
    )

    local = commands.add_parser("local-sagemaker", help="Run the local SageMaker alone.")
    local.add_argument("--host", default="127.0.0.1", help=BIND_HOST_HELP)
    local.add_argument("--port", type=int, default=5000, help=BIND_PORT_HELP)
    local.add_argument("--no-seed", action="store_true", help="Start without the demo jobs.")

    commands.add_parser("export-schema", help="Print the GraphQL schema (SDL).")

    args = parser.parse_args(argv)
    if args.command == "export-schema":
        from gateway.schema import build_schema

        sys.stdout.write(build_schema().as_str() + "\n")
    elif args.command == "local-sagemaker":
        _run_local_sagemaker(args.host, args.port, seed=not args.no_seed)
    else:
        try:
            settings = Settings()
        except ValidationError as error:
            sys.exit(f"Invalid configuration:\n{error}")
        if settings.trusted_documents is not None:
            try:
                load_trusted_documents(Path(settings.trusted_documents))
            except ManifestError as error:
                sys.exit(f"Invalid configuration: GATEWAY_TRUSTED_DOCUMENTS: {error}")
        _serve(settings, args.host, args.port, local=args.local)


def _local_sagemaker() -> type[LocalSageMaker]:
    """The local SageMaker, an optional extra that production installs leave out."""
    try:
        from gateway.local.server import LocalSageMaker
    except ImportError:
        sys.exit("The local SageMaker is not installed: pip install 'autopilot-gateway[local]'")
    return LocalSageMaker


def _serve(settings: Settings, host: str, port: int, *, local: bool) -> None:
    import uvicorn

    from gateway.app import create_app
    from gateway.sagemaker.client import StaticCredentials
    from gateway.tracing import tracer_provider_from_environment

    configure_logging(settings.log_level, settings.log_format)
    credentials = None
    if local:
        sagemaker = _local_sagemaker()(region=settings.aws_region, live_demo=True)
        sagemaker.start()
        endpoints = {"sagemaker_endpoint_url": sagemaker.endpoint_url}
        endpoints["s3_endpoint_url"] = sagemaker.endpoint_url  # its report files
        settings = settings.model_copy(update=endpoints)
        credentials = StaticCredentials(*LOCAL_CREDENTIALS)
        print(f"Local SageMaker with demo jobs at {sagemaker.endpoint_url}", flush=True)
    if settings.log_format == "text":  # in JSON, standard output holds nothing but log lines
        print(f"GraphiQL: http://{host}:{port}/graphql", flush=True)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": settings.log_level.lower(),
        "log_config": None,  # keep the gateway's own log format
        "access_log": False,  # the gateway logs each request with its ID and caller
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        "timeout_keep_alive": settings.keep_alive_seconds,
        # WebSocket pings keep idle subscriptions open through proxies, and find dead peers
        "ws_ping_interval": settings.websocket_ping_seconds,
        "ws_ping_timeout": settings.websocket_ping_seconds,
        # a WebSocket message is held to the size an HTTP request's body is
        "ws_max_size": settings.max_request_bytes,
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips or None,
    }
    if settings.workers > 1 and not local:
        uvicorn.run(
            "gateway.app:from_environment", factory=True, workers=settings.workers, **options
        )
    else:
        tracer_provider = tracer_provider_from_environment()
        app = create_app(settings, credentials=credentials, tracer_provider=tracer_provider)
        uvicorn.run(app, **options)


def _run_local_sagemaker(host: str, port: int, *, seed: bool) -> None:
    sagemaker = _local_sagemaker()(host, port, seed=seed)
    sagemaker.start()
    print(f"Local SageMaker at {sagemaker.endpoint_url}", flush=True)
    try:
        sagemaker.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sagemaker.stop()


if __name__ == "__main__":
    main()
