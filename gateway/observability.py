"""Logs and metrics that follow a request: its ID and its caller, in every line and label, and
its trace ID in every line when traces are on."""

from __future__ import annotations

import logging
import re
import secrets
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson
from opentelemetry.trace import format_trace_id, get_current_span
from prometheus_client import Counter, Gauge, Histogram

request_id: ContextVar[str] = ContextVar("request_id", default="-")
caller_id: ContextVar[str] = ContextVar("caller_id", default="-")

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

HTTP_REQUESTS_IN_FLIGHT = Gauge("gateway_http_requests_in_flight", "HTTP requests being served.")
HTTP_REQUEST_SECONDS = Histogram(
    "gateway_http_request_seconds",
    "Time to answer an HTTP request, by route and status.",
    ["route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
GRAPHQL_OPERATIONS = Counter(
    "gateway_graphql_operations",
    "GraphQL operations, by operation name and outcome (OK or the first error's code).",
    ["operation", "outcome"],
)


def new_request_id(given: str | None) -> str:
    """The client's X-Request-ID when it is a sane token, else a fresh one."""
    if given and _VALID_REQUEST_ID.fullmatch(given):
        return given
    return secrets.token_hex(16)


def trace_id() -> str:
    """The current span's trace ID (32 hex digits), or ``-`` outside a trace."""
    context = get_current_span().get_span_context()
    return format_trace_id(context.trace_id) if context.is_valid else "-"


ACCESS_FIELDS = ("method", "path", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
            "caller": caller_id.get(),
            "trace_id": trace_id(),
        }
        extra = record.__dict__
        for key in ACCESS_FIELDS:
            if key in extra:
                entry[key] = extra[key]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(caller)s %(trace_id)s] "
            "%(message)s"
        )

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = request_id.get()
        record.caller = caller_id.get()
        record.trace_id = trace_id()
        return super().format(record)


def configure_logging(level: str, log_format: str) -> None:
    # Neither format shows source lines, threads or processes: not collecting them is the
    # logging HOWTO's own optimisation, and halves the cost of the access log's line.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # Standard output, where container runtimes and log pipelines expect a service's log.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
