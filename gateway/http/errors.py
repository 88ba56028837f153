"""Answers given before GraphQL runs, shaped like GraphQL errors so clients read them alike."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from cross_web import HTTPException
from starlette.types import Send
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from gateway.observability import request_id

NO_OPERATION = (
    "The request has no operation: send the GraphQL document as `query`, or a persisted "
    "document's id as `documentId`."
)


class RequestError(Exception):
    """A request refused before any operation runs; its message says what to send instead."""

    def __init__(self, message: str, *, status: int = 400, code: str = "BAD_USER_INPUT") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


def error_body(message: str, code: str) -> bytes:
    extensions = {"code": code, "requestId": request_id.get()}
    return orjson.dumps({"data": None, "errors": [{"message": message, "extensions": extensions}]})


async def send_error(
    send: Send, status: int, message: str, code: str, headers: Mapping[str, str] | None = None
) -> None:
    body = error_body(message, code)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(name.encode(), value.encode()) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def plain_reason(error: HTTPException, operation: GraphQLRequestData) -> str:
    """Why Strawberry would not run an operation, saying what to change."""
    cause = error.__cause__
    if isinstance(cause, CannotGetOperationTypeError):
        if operation.operation_name is not None:
            return (
                f"The document has no operation named {operation.operation_name!r}: "
                "`operationName` must be the name of one of its operations."
            )
        return "The document has no operation to run, only fragments: add a query."
    if isinstance(cause, InvalidOperationTypeError):
        return f"A {cause.operation_type.value} cannot be sent with GET: send it as a JSON POST."
    if isinstance(cause, MissingQueryError):
        return NO_OPERATION
    return error.reason
