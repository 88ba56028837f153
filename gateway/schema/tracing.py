"""A span per GraphQL operation, between the HTTP request's span and the SageMaker calls.

Strawberry's own OpenTelemetry extension also wraps every field's resolver in a span, which
costs on each of the thousands of fields of a page; this one hooks the operation only.
"""

from __future__ import annotations

from collections.abc import Iterator

from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from strawberry.extensions import SchemaExtension


class OperationSpans(SchemaExtension):
    def __init__(self, *, tracer: Tracer) -> None:
        self._tracer = tracer

    def on_operation(self) -> Iterator[None]:
        with self._tracer.start_as_current_span(
            "GraphQL operation", kind=SpanKind.INTERNAL, record_exception=False
        ) as span:
            yield
            context = self.execution_context
            try:
                kind = context.operation_type.value
            except RuntimeError:  # no operation: the document did not parse or validate
                kind = "unknown"
            name = context.operation_name
            span.update_name(f"{kind} {name}" if name else kind)
            span.set_attribute("graphql.operation.type", kind)
            if name:
                span.set_attribute("graphql.operation.name", name)
            errors = context.result.errors if context.result else context.pre_execution_errors
            if errors:
                code = str((errors[0].extensions or {}).get("code", "INTERNAL"))
                span.set_attribute("gateway.outcome", code)
                span.set_status(Status(StatusCode.ERROR, code))
            else:
                span.set_attribute("gateway.outcome", "OK")
