"""Every GraphQL error leaves the gateway with an ``extensions.code``.

Errors found before execution (syntax, validation, variable coercion) are the client's:
``BAD_USER_INPUT`` with GraphQL's own message. During execution, a :class:`GatewayError`
keeps its message and code; anything else is masked as ``INTERNAL`` and logged in full.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionContext

from gateway.errors import GatewayError
from gateway.observability import request_id

logger = logging.getLogger("gateway.errors")

INTERNAL_MESSAGE = "Internal server error."


def _over_http(error: GraphQLError) -> GraphQLError:
    """A query or mutation sent over a stream (only subscriptions run there: Strawberry's
    ``allowed_operation_types``), told where to send it instead of Strawberry's "queries
    are not allowed"."""
    original = error.original_error
    if not isinstance(original, InvalidOperationTypeError):
        return error
    return GraphQLError(
        f"A {original.operation_type.value} cannot run over a WebSocket or an event stream, "
        "only a subscription can: send it to /graphql as an HTTP POST.",
        nodes=error.nodes,
        original_error=original,
        extensions={"code": "BAD_USER_INPUT"},
    )


def _is_unexpected(error: GraphQLError) -> bool:
    return error.path is not None and not isinstance(error.original_error, GatewayError)


def log_errors(errors: list[GraphQLError], execution_context: ExecutionContext | None) -> None:
    """Log unexpected errors with their traceback; client errors are routine."""
    for error in errors:
        if _is_unexpected(error):
            logger.error(
                "Unexpected error resolving %s",
                ".".join(map(str, error.path or ())),
                exc_info=error.original_error or error,
            )
        else:
            logger.debug("Client error: %s", error.message)


class ErrorCodes(MaskErrors):
    """Adds ``extensions.code`` to every error and masks the unexpected ones."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected, error_message=INTERNAL_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL"}
        return masked

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = [_over_http(error) for error in super()._process_errors(errors)]
        rid = request_id.get()
        for error in processed:
            extensions = dict(error.extensions or {})
            if "code" not in extensions:
                original = error.original_error
                code = original.code if isinstance(original, GatewayError) else "BAD_USER_INPUT"
                extensions["code"] = code
            extensions["requestId"] = rid
            error.extensions = extensions
        return processed


def coded(errors: list[GraphQLError]) -> list[GraphQLError]:
    """The errors with a code each: one Strawberry raised outside the extensions' hooks (a
    validation rule that broke, say) carries Python's text, so it is logged and masked."""
    if all((error.extensions or {}).get("code") for error in errors):
        return errors
    masked = []
    for error in errors:
        if (error.extensions or {}).get("code"):
            masked.append(error)
            continue
        logger.error("Uncoded error before execution", exc_info=error.original_error or error)
        masked.append(
            GraphQLError(
                INTERNAL_MESSAGE, extensions={"code": "INTERNAL", "requestId": request_id.get()}
            )
        )
    return masked
