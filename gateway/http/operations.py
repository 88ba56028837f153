"""What a GraphQL request over HTTP asks for, read strictly before any GraphQL work.

A JSON POST body holds one operation (an object) or a batch (an array of objects); a GET holds
one in its query parameters, ``variables`` and ``extensions`` as JSON. Anything else is refused
with a :class:`~gateway.http.errors.RequestError` whose message says what to send instead,
naming the member or query parameter at fault. JSON is read by orjson, which refuses nesting
deeper than 1024 levels (what a client could use to exhaust the server) and what no JSON
encoder should produce (lone surrogates, invalid UTF-8); integers beyond 64 bits, which it
would silently read as floats, are refused too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.types import Message, Receive
from strawberry.http import GraphQLRequestData

from gateway.http.errors import RequestError

DOCUMENT_ID_MEMBERS = ("documentId", "doc_id", "id")
"""Where clients put a persisted document's id: the GraphQL-over-HTTP draft's ``documentId``,
and Relay's ``doc_id`` or ``id``."""

SHAPE = "a JSON object with a `query` string (or a persisted document's id)"


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation as the client sent it; ``query`` may still be missing if it is persisted."""

    query: str | None = None
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None
    document_id: str | None = None


def json_kind(value: object) -> str:
    """What a JSON value is, in JSON's words: for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _json_problem(error: orjson.JSONDecodeError) -> str:
    """orjson's reason, as something a client can fix."""
    reason = error.msg.lower()
    if "depth" in reason or "recursion" in reason:
        return "is nested more than 1024 levels deep"
    if "utf-8" in reason:
        return "is not valid UTF-8"
    if "surrogate" in reason:
        return "holds a lone UTF-16 surrogate (a \\ud800-\\udfff escape without its pair)"
    if "infinity" in reason:
        return "holds a number too large for a 64-bit float"
    if "empty" in reason:
        return "is empty"
    return f"is not valid JSON (line {error.lineno}, column {error.colno})"


def _may_hold_big_integers(value: Any) -> bool:
    """Whether a value orjson read holds a float as large as an integer beyond 64 bits, which
    is what orjson makes of one: rare, and cheaper to find than to scan the text for."""
    pending = [value]
    while pending:
        item = pending.pop()
        if type(item) is dict:
            pending.extend(item.values())
        elif type(item) is list:
            pending.extend(item)
        elif type(item) is float and not -(2.0**63) < item < 2.0**63:
            return True
    return False


def _check_int(literal: str) -> int:
    value = int(literal)
    if not -(2**63) <= value < 2**64:
        raise _BeyondInt64
    return value


class _BeyondInt64(Exception):
    pass


def _refuse_big_integers(data: bytes, where: str) -> None:
    """orjson reads integers beyond 64 bits as floats, silently changing them: refused
    instead, by a second, slower reading of the rare body that may hold one."""
    try:
        json.loads(data, parse_int=_check_int)
    except _BeyondInt64:
        raise RequestError(
            f"{where} holds an integer beyond 64 bits (send large numbers as strings)."
        ) from None
    except RecursionError:
        raise RequestError(f"{where} is nested too deeply.") from None


def decode_json(data: bytes | str, where: str) -> Any:
    """JSON from ``where`` (e.g. "The request body"), or a RequestError saying what is wrong."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise RequestError(f"{where} {_json_problem(error)}.") from None
    if _may_hold_big_integers(value):
        _refuse_big_integers(data.encode() if isinstance(data, str) else data, where)
    return value


def _member(payload: Mapping[str, Any], name: str, kind: type, expected: str, where: str) -> Any:
    value = payload.get(name)
    if value is not None and not isinstance(value, kind):
        raise RequestError(f"{where.format(name=name)} must be {expected}, not {json_kind(value)}.")
    return value


def operation_from(payload: Mapping[str, Any], where: str) -> Operation:
    """The operation of a JSON object; ``where`` names a member, e.g. "`{name}` of operation 2"."""
    document_id = None
    for member in DOCUMENT_ID_MEMBERS:
        document_id = document_id or _member(payload, member, str, "a string", where)
    return Operation(
        query=_member(payload, "query", str, "a string (the GraphQL document)", where),
        variables=_member(payload, "variables", dict, "an object", where),
        operation_name=_member(payload, "operationName", str, "a string", where),
        extensions=_member(payload, "extensions", dict, "an object", where),
        document_id=document_id,
    )


def operations_from_body(body: bytes, *, max_batch: int) -> Operation | list[Operation]:
    """The operation, or batch of operations, of a JSON POST body."""
    payload = decode_json(body, "The request body")
    if isinstance(payload, dict):
        return operation_from(payload, "`{name}`")
    if not isinstance(payload, list):
        raise RequestError(
            f"The request body is {json_kind(payload)}, not a GraphQL operation: send {SHAPE}, "
            "or an array of such objects."
        )
    if not payload:
        raise RequestError(f"The request body is an empty array: send {SHAPE}, or several.")
    if len(payload) > max_batch:
        raise RequestError(
            f"A batch may hold at most {max_batch} operations; this one holds {len(payload)}."
        )
    operations = []
    for number, item in enumerate(payload, start=1):
        if not isinstance(item, dict):
            raise RequestError(
                f"Operation {number} of the batch is {json_kind(item)}: send each as {SHAPE}."
            )
        operations.append(operation_from(item, f"`{{name}}` of operation {number}"))
    return operations


def operation_from_query_params(params: Mapping[str, str]) -> Operation:
    """The operation of a GET's query parameters, ``variables`` and ``extensions`` as JSON."""
    payload: dict[str, Any] = dict(params)
    for name in ("variables", "extensions"):
        text = params.get(name)
        if text is None:
            continue
        if not text:
            payload[name] = None
            continue
        value = decode_json(text, f"The `{name}` query parameter")
        if not isinstance(value, dict):
            raise RequestError(
                f"The `{name}` query parameter must be a JSON object, not {json_kind(value)}."
            )
        payload[name] = value
    return operation_from(payload, "The `{name}` query parameter")


async def buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The request's body, and a ``receive`` that hands the same messages out again (then
    the server's own), so Strawberry reads the body as if nobody had."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    pending = iter(messages)

    async def replay() -> Message:
        message = next(pending, None)
        return message if message is not None else await receive()

    return body, replay


def request_data(operation: Operation, protocol: Any = "http") -> GraphQLRequestData:
    return GraphQLRequestData(
        query=operation.query,
        variables=operation.variables,
        operation_name=operation.operation_name,
        extensions=operation.extensions,
        protocol=protocol,
    )
