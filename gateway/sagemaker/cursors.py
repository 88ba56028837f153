"""Opaque connection cursors: a :class:`Position` bound to the query it was read for.

A cursor is only meaningful for the exact job, filters and sort it came from; the query's
fingerprint travels inside it so that a cursor reused with other arguments is refused
instead of silently resuming somewhere unrelated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence

from gateway.errors import BadUserInput
from gateway.sagemaker.paging import Position

VERSION = "1"
_PREFIX = f"v{VERSION}:"
MAX_UPSTREAM_TOKEN_LENGTH = 8192  # NextToken's max length in SageMaker's service model
MAX_UPSTREAM_PAGE_SIZE = 300  # MaxResults' max for ListCandidatesForAutoMLJob


class InvalidCursor(BadUserInput):
    def __init__(self, reason: str) -> None:
        super().__init__(f"{reason} Restart paging without `after`.")


def fingerprint(kind: str, arguments: Sequence[str | None]) -> str:
    """A short digest of everything that decides which items a connection lists."""
    canonical = json.dumps([kind, *arguments], separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_cursor(query_fingerprint: str, position: Position) -> str:
    payload = [query_fingerprint, position.token, position.page_size, position.index]
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return _PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, query_fingerprint: str) -> Position:
    if not cursor.startswith(_PREFIX):
        raise InvalidCursor("The cursor is malformed.")
    body = cursor[len(_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidCursor("The cursor is malformed.") from None
    if not _well_formed(payload):
        raise InvalidCursor("The cursor is malformed.")
    cursor_fingerprint, token, page_size, index = payload
    if cursor_fingerprint != query_fingerprint:
        raise InvalidCursor("The cursor was made for a different job, filter or sort.")
    return Position(token=token, page_size=page_size, index=index)


def _well_formed(payload: object) -> bool:
    if not isinstance(payload, list) or len(payload) != 4:
        return False
    cursor_fingerprint, token, page_size, index = payload
    return (
        isinstance(cursor_fingerprint, str)
        and (token is None or (isinstance(token, str) and len(token) <= MAX_UPSTREAM_TOKEN_LENGTH))
        and type(page_size) is int
        and 1 <= page_size <= MAX_UPSTREAM_PAGE_SIZE
        and type(index) is int
        and 0 <= index < page_size
    )
