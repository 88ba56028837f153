"""GraphQL execution of one page alone: the gateway's own work on a cold page, in process.

The page's SageMaker answer is read once from the local SageMaker; then the schema (built
from the same settings as the server) executes the page query against it, with the answer
already in the process's cache, so the time measured is execution: resolving, completing and
serializing every field.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Mapping
from typing import Any

import boto3

from gateway.cache import MemoryCache
from gateway.sagemaker.autopilot import Autopilot
from gateway.sagemaker.cursors import CursorCodec
from gateway.sagemaker.upstream import CachePolicy, Upstream
from gateway.schema import Context, build_schema
from gateway.settings import Settings


class RecordedSageMaker:
    """Answers each read with what the local SageMaker answered it once."""

    def __init__(self, client: Any) -> None:
        self._client = client

    async def call(self, operation: str, params: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
        response = getattr(self._client, operation)(**params)
        response.pop("ResponseMetadata", None)
        return response, 1


async def execution_ms(
    sagemaker_url: str, query: str, variables: dict[str, Any], runs: int
) -> float:
    """The median time of executing ``query``, SageMaker's answers already cached."""
    client = boto3.client(
        "sagemaker",
        endpoint_url=sagemaker_url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    settings = Settings(auth_mode="none")
    cache = MemoryCache("sagemaker", max_entries=1000, max_bytes=2**30)
    upstream = Upstream(
        RecordedSageMaker(client),  # type: ignore[arg-type]
        cache,
        CachePolicy(terminal_ttl=3600, active_ttl=3600),
    )
    schema = build_schema(settings)
    cursors = CursorCodec(b"bench" * 8)

    async def execute() -> None:
        context = Context(request=None, autopilot=Autopilot(upstream, settings, cursors))  # type: ignore[arg-type]
        result = await schema.execute(query, variable_values=variables, context_value=context)
        assert not result.errors, result.errors

    await execute()  # reads SageMaker once and warms every cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await execute()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    import sys

    from bench.run import BIG_JOB, PAGE

    print(asyncio.run(execution_ms(sys.argv[1], PAGE, {"job": BIG_JOB}, 20)))
