"""Log lines carry the request's ID, caller and trace ID, as one JSON object each, and never
tokens."""

from __future__ import annotations

import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from gateway.observability import (
    JsonFormatter,
    TextFormatter,
    caller_id,
    new_request_id,
    request_id,
)


def test_json_log_lines_carry_request_id_and_caller() -> None:
    record = logging.LogRecord(
        "gateway.access", logging.INFO, __file__, 1, "POST %s", ("/graphql",), None
    )
    record.status = 200
    rid, caller = request_id.set("req-1"), caller_id.set("alice")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(rid)
        caller_id.reset(caller)
    assert line["message"] == "POST /graphql"
    assert line["request_id"] == "req-1"
    assert line["caller"] == "alice"
    assert line["status"] == 200
    assert line["level"] == "info"


def test_request_ids_from_clients_are_kept_only_when_sane() -> None:
    assert new_request_id("abc-123_x.y") == "abc-123_x.y"
    for unsafe in ("", "has space", "x" * 65, "newline\ninjected", None):
        generated = new_request_id(unsafe)
        assert generated != unsafe and len(generated) == 32


def test_a_request_logs_its_access_line_with_its_id(gateway, caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.INFO, logger="gateway.access"):
        gateway.http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "log-me"}
        )
    lines = [r for r in caplog.records if r.name == "gateway.access"]
    assert any(
        getattr(r, "path", None) == "/graphql" and getattr(r, "status", None) == 200 for r in lines
    )


def test_log_lines_carry_the_trace_id_inside_a_trace_only() -> None:
    record = logging.LogRecord("gateway", logging.INFO, __file__, 1, "hello", (), None)
    assert json.loads(JsonFormatter().format(record))["trace_id"] == "-"
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        trace_id = format(span.get_span_context().trace_id, "032x")
        assert json.loads(JsonFormatter().format(record))["trace_id"] == trace_id
        assert f" {trace_id}] hello" in TextFormatter().format(record)
