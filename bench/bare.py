"""The benchmark's baseline: a bare Starlette endpoint returning fixed bytes.

`BENCH_BODY_FILE` names a file whose bytes every POST to /graphql answers, so the gateway's
warm answers can be compared with the fastest answer Starlette and uvicorn give on the same
machine, in the same run.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()


async def graphql(request: Request) -> Response:
    await request.body()
    return Response(BODY, media_type="application/json")


async def healthz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)])
