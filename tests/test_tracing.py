"""Traces through real HTTP, exported to OpenTelemetry's in-memory exporter: the span tree of
a request, the caller's ``traceparent`` honoured, the trace ID in log lines, and no secrets."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from gateway.observability import JsonFormatter
from gateway.settings import Settings, traces_requested
from gateway.tracing import tracer_provider_from_environment
from tests.gateway_server import GraphQLClient, running_gateway

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
JOB = "query ($name: String!) { autoMLJob(name: $name) { autoMLJobName } }"
TOKEN = "Bearer secret-token-that-must-not-leak"
JOBS_AND_CANDIDATES = """
query Leaders($name: String!) {
  autoMLJob(name: $name) {
    autoMLJobName
    candidates(first: 2) { edges { node { candidateName } } }
  }
}"""


class Lines(logging.Handler):
    """Log lines as the JSON formatter writes them, formatted when logged (in the request)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def traced(gateway_settings: Settings) -> Iterator[tuple[GraphQLClient, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with running_gateway(gateway_settings, tracer_provider=provider) as url:
        yield GraphQLClient(url), exporter
    provider.shutdown()


def server_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.kind == SpanKind.SERVER]


def settled(done: Callable[[], bool]) -> None:
    """Waits, a little, for what the server does after sending its answer."""
    deadline = time.monotonic() + 5
    while not done() and time.monotonic() < deadline:
        time.sleep(0.01)


def by_name(spans: tuple[ReadableSpan, ...], prefix: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name.startswith(prefix)]


def test_a_request_is_a_tree_of_http_operation_and_sagemaker_spans(
    traced: tuple[GraphQLClient, InMemorySpanExporter], big_job: str
) -> None:
    client, exporter = traced
    access, logger = Lines(), logging.getLogger("gateway.access")
    level = logger.level
    logger.addHandler(access)
    logger.setLevel(logging.INFO)
    try:
        response = client.http.post(
            "/graphql",
            json={"query": JOBS_AND_CANDIDATES, "variables": {"name": big_job}},
            headers={"traceparent": TRACEPARENT, "Authorization": TOKEN},
        )
        # The access line is written, and the request's span ends, once the answer is sent.
        settled(lambda: bool(access.lines) and bool(server_spans(exporter)))
    finally:
        logger.removeHandler(access)
        logger.setLevel(level)
    assert response.status_code == 200
    assert "errors" not in response.json(), response.json()
    spans = exporter.get_finished_spans()

    (http,) = server_spans(exporter)
    assert format(http.context.trace_id, "032x") == TRACE_ID  # the caller's trace continues
    assert http.parent is not None and format(http.parent.span_id, "016x") == PARENT_ID
    assert http.attributes is not None and http.attributes.get("http.route", "/graphql")

    (operation,) = by_name(spans, "query")
    assert operation.name == "query Leaders"
    assert operation.parent is not None and operation.parent.span_id == http.context.span_id
    assert operation.attributes == {
        "graphql.operation.type": "query",
        "graphql.operation.name": "Leaders",
        "gateway.outcome": "OK",
    }

    calls = by_name(spans, "SageMaker.")
    assert sorted(span.name for span in calls) == [
        "SageMaker.DescribeAutoMLJobV2",
        "SageMaker.ListCandidatesForAutoMLJob",
    ]
    for call in calls:
        assert call.kind == SpanKind.CLIENT
        assert call.parent is not None and call.parent.span_id == operation.context.span_id
        assert call.attributes is not None
        assert call.attributes["rpc.service"] == "SageMaker"
        assert call.attributes["retry_attempts"] == 0
        assert call.attributes["http.status_code"] == 200
        assert call.status.status_code == StatusCode.UNSET
    assert {span.context.trace_id for span in spans} == {http.context.trace_id}

    # Nothing of the token, the credentials or the job's parameters in any span.
    dumped = json.dumps([dict(span.attributes or {}) for span in spans], default=str)
    assert "secret-token" not in dumped and "testing" not in dumped
    assert big_job not in json.dumps([dict(s.attributes or {}) for s in calls])

    (line,) = [line for line in access.lines if line.get("path") == "/graphql"]
    assert line["trace_id"] == TRACE_ID


def test_a_failed_call_is_an_error_span_with_its_retries(
    traced: tuple[GraphQLClient, InMemorySpanExporter], faults: Any, big_job: str
) -> None:
    client, exporter = traced
    faults.inject("DescribeAutoMLJobV2", code="ThrottlingException", times=3)
    error = client.error(JOB, name=big_job)
    assert error["extensions"]["code"] == "THROTTLED"
    settled(lambda: bool(server_spans(exporter)))
    (call,) = by_name(exporter.get_finished_spans(), "SageMaker.")
    assert call.attributes is not None
    assert call.attributes["retry_attempts"] == 2  # three attempts
    assert call.attributes["http.status_code"] == 400
    assert call.status.status_code == StatusCode.ERROR
    (operation,) = by_name(exporter.get_finished_spans(), "query")
    assert operation.attributes is not None
    assert operation.attributes["gateway.outcome"] == "THROTTLED"


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "gw"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, False),
    ],
)
def test_traces_are_on_only_when_opentelemetrys_variables_ask(
    environ: dict[str, str], on: bool
) -> None:
    assert traces_requested(environ) is on
    provider = tracer_provider_from_environment(environ)
    assert (provider is not None) is on
    if provider is not None:
        provider.shutdown()


def test_an_unknown_exporter_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="OTEL_TRACES_EXPORTER=zipkin"):
        tracer_provider_from_environment({"OTEL_TRACES_EXPORTER": "zipkin"})


def test_sagemaker_calls_are_instrumented_only_while_a_traced_app_runs(
    gateway_settings: Settings, gateway: GraphQLClient, big_job: str
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with running_gateway(gateway_settings, tracer_provider=provider):
        pass
    # The untraced gateway of the session, after the traced one stopped: no span anywhere.
    uncached = gateway.post(
        JOB.replace("autoMLJobName", "autoMLJobName creationTime"), name=big_job
    )
    assert "errors" not in uncached
    assert exporter.get_finished_spans() == ()
    provider.shutdown()
