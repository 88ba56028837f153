"""Traces with OpenTelemetry: configured by its standard ``OTEL_*`` variables, off without them.

When on, a request to the gateway is a tree of spans: the HTTP request (OpenTelemetry's ASGI
instrumentation, which honours a W3C ``traceparent``), its GraphQL operation, and one span
per SageMaker call (OpenTelemetry's aiobotocore instrumentation: the operation, botocore's
retries and the outcome, never the call's parameters or credentials). When off, no tracer
provider is set up, no middleware installed and nothing instrumented, so traces cost nothing.
The SDK reads the rest of its configuration itself (service name, resource attributes,
sampler, the OTLP exporter's endpoint, headers and timeouts).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.botocore import AiobotocoreInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from opentelemetry.trace import Tracer
from starlette.middleware import Middleware

from gateway.settings import traces_requested

DEFAULT_SERVICE_NAME = "autopilot-gateway"
UNTRACED_PATHS = "/healthz,/readyz,/metrics"
"""Probes and scrapes: frequent, and nothing to learn from."""


def exporter(name: str) -> SpanExporter:
    """The exporter ``OTEL_TRACES_EXPORTER`` names (``otlp``, the default, or ``console``)."""
    if name in ("", "otlp", "otlp_proto_http"):
        return OTLPSpanExporter()
    if name == "console":
        return ConsoleSpanExporter()
    raise ValueError(
        f"OTEL_TRACES_EXPORTER={name} is not supported here: use otlp (HTTP/protobuf) or console"
    )


def tracer_provider_from_environment(
    environ: Mapping[str, str] = os.environ,
) -> TracerProvider | None:
    """The process's tracer provider when the environment asks for traces, else None."""
    if not traces_requested(environ):
        return None
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    provider = TracerProvider(resource=resource)
    name = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    for each in filter(None, (part.strip() for part in name.split(","))) if name else [""]:
        provider.add_span_processor(BatchSpanProcessor(exporter(each)))
    return provider


def gateway_tracer(provider: TracerProvider | None) -> Tracer | None:
    return None if provider is None else provider.get_tracer("gateway")


@contextmanager
def sagemaker_spans(provider: TracerProvider | None) -> Iterator[None]:
    """A span per SageMaker call while the app runs. The instrumentation patches aiobotocore
    for the whole process, so it is undone when the app stops."""
    if provider is None:
        yield
        return
    instrumentor = AiobotocoreInstrumentor()  # type: ignore[no-untyped-call]  # untyped __init__
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield
    finally:
        instrumentor.uninstrument()


def http_spans(provider: TracerProvider | None) -> list[Middleware]:
    """The HTTP request's span, outermost, so that every log line of a request has its
    trace ID; nothing without a provider."""
    if provider is None:
        return []
    return [
        Middleware(
            OpenTelemetryMiddleware,
            tracer_provider=provider,
            excluded_urls=UNTRACED_PATHS,
            exclude_spans=["receive", "send"],
        )
    ]
