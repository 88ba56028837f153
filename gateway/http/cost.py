"""What an answer cost, in ``extensions.cost``: asked for by a header or on for every answer.

The cost is the request's: the operations of a batch share their reads, so each of them
carries the batch's total. An answer replayed from the result cache cost no SageMaker call,
and says so (``resultCacheHits``); the view then takes Strawberry's path instead of sending
the stored bytes, which carry no cost.
"""

from __future__ import annotations

from starlette.types import Scope
from strawberry.http import GraphQLHTTPResponse

from gateway.sagemaker.usage import Usage

COST_HEADER = b"x-gateway-cost"


def cost_requested(scope: Scope, *, always: bool) -> bool:
    """Whether the answer carries its cost: always, or when the request asks with ``1``."""
    if always:
        return True
    return any(name == COST_HEADER and value == b"1" for name, value in scope["headers"])


def with_cost(response: GraphQLHTTPResponse, usage: Usage) -> GraphQLHTTPResponse:
    """The response (``data``, ``errors``) with the request's cost in its extensions."""
    costed = response.copy()
    costed["extensions"] = {**(response.get("extensions") or {}), "cost": usage.cost()}
    return costed
