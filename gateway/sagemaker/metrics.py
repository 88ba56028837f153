"""What the SageMaker layer reports to Prometheus."""

from __future__ import annotations

from prometheus_client import Counter

UPSTREAM_CALLS = Counter(
    "gateway_upstream_calls",
    "SageMaker API calls made by the gateway, by operation and outcome.",
    ["operation", "outcome"],
)


def upstream_calls(operation: str | None = None) -> int:
    """Calls made so far (of one operation, or all): for tests and the benchmark."""
    total = 0.0
    for metric in UPSTREAM_CALLS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total") and operation in (None, sample.labels["operation"]):
                total += sample.value
    return int(total)
