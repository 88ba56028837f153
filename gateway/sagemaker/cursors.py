"""Signed, opaque connection cursors: a :class:`Position` or a :class:`Mark`, bound to the
query it belongs to.

A cursor is ``<version>.<payload>.<signature>``: the payload holds the query's fingerprint
and the position; the signature is an HMAC-SHA256 under the gateway's cursor key. A forged, tampered
or truncated cursor fails the signature check, and a genuine cursor used with another job,
filter or sort fails the fingerprint check, so paging never resumes somewhere unrelated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.errors import BadUserInput

VERSION = "v3"
MARK_VERSION = "m1"
MAX_UPSTREAM_TOKEN_LENGTH = 8192  # NextToken's max length in SageMaker's service model
MAX_UPSTREAM_PAGE_SIZE = 300  # the largest MaxResults of the list operations used
MAX_KEY_LENGTH = 64  # CandidateName's max length; job names are shorter
MAX_OFFSET = 10_000_000  # far beyond any list SageMaker pages
_SIGNATURE_BYTES = 16


@dataclass(frozen=True, slots=True)
class Position:
    """Where an item was read upstream, and which item it was."""

    token: str | None
    page_size: int
    index: int
    key: str
    reverse: bool = False  # read from the reversed listing
    offset: int = 0
    """How many (visible) items precede it in the listing it was read from: its 0-based
    position, so that an item's rank in SageMaker's order survives paging."""


class InvalidCursor(BadUserInput):
    def __init__(self, reason: str) -> None:
        super().__init__(f"{reason} Restart paging without `after` or `before`.")


def fingerprint(kind: str, arguments: Sequence[object]) -> str:
    """A short digest of everything that decides which items a connection lists."""
    canonical = json.dumps([kind, *arguments], separators=(",", ":"), default=str)
    return _b64encode(hashlib.sha256(canonical.encode()).digest()[:12])


@dataclass(frozen=True, slots=True)
class Mark:
    """What a leaderboard's cursor points at: a candidate, and the digest of its values of
    the leaderboard's order keys, so a candidate that moved since is noticed."""

    job_name: str
    candidate_name: str
    values: str


class CursorCodec:
    """Signs and checks both kinds of cursor: a :class:`Position` in SageMaker's paged order
    (``v3.``) and a :class:`Mark` in a leaderboard the gateway ordered (``m1.``)."""

    def __init__(self, key: bytes) -> None:
        self._mac = hmac.new(key, digestmod=hashlib.sha256)  # copied per cursor: no re-keying

    def encode(self, query_fingerprint: str, position: Position) -> str:
        payload = [
            query_fingerprint,
            position.token,
            position.page_size,
            position.index,
            position.key,
            int(position.reverse),
            position.offset,
        ]
        return self._seal(VERSION, payload)

    def decode(self, cursor: str, query_fingerprint: str) -> Position:
        payload = self._open(cursor, VERSION)
        if not _well_formed(payload):
            raise InvalidCursor("The cursor is malformed.")
        cursor_fingerprint, token, page_size, index, key, reverse, offset = payload
        _check_fingerprint(cursor_fingerprint, query_fingerprint)
        return Position(token, page_size, index, key, bool(reverse), offset)

    def encode_mark(self, query_fingerprint: str, mark: Mark) -> str:
        payload = [query_fingerprint, mark.job_name, mark.candidate_name, mark.values]
        return self._seal(MARK_VERSION, payload)

    def decode_mark(self, cursor: str, query_fingerprint: str) -> Mark:
        payload = self._open(cursor, MARK_VERSION)
        if not (
            isinstance(payload, list)
            and len(payload) == 4
            and all(isinstance(part, str) and 0 < len(part) <= MAX_KEY_LENGTH for part in payload)
        ):
            raise InvalidCursor("The cursor is malformed.")
        cursor_fingerprint, job_name, candidate_name, values = payload
        _check_fingerprint(cursor_fingerprint, query_fingerprint)
        return Mark(job_name, candidate_name, values)

    def _seal(self, version: str, payload: Sequence[object]) -> str:
        body = f"{version}.{_b64encode(orjson.dumps(payload))}"
        return f"{body}.{_b64encode(self._sign(body))}"

    def _open(self, cursor: str, version: str) -> Any:
        body, _, signature = cursor.rpartition(".")
        if not body.startswith(f"{version}.") or not self._verify(body, signature):
            raise InvalidCursor("The cursor is not one this gateway made, or it was altered.")
        try:
            payload = json.loads(_b64decode(body[len(version) + 1 :]))
        except (binascii.Error, ValueError):
            raise InvalidCursor("The cursor is malformed.") from None
        return payload

    def _sign(self, body: str) -> bytes:
        mac = self._mac.copy()
        mac.update(body.encode())
        return mac.digest()[:_SIGNATURE_BYTES]

    def _verify(self, body: str, signature: str) -> bool:
        try:
            given = _b64decode(signature)
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(given, self._sign(body))


def _check_fingerprint(given: object, expected: str) -> None:
    if given != expected:
        raise InvalidCursor("The cursor was made for a different job, filter or sort.")


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _well_formed(payload: object) -> bool:
    if not isinstance(payload, list) or len(payload) != 7:
        return False
    cursor_fingerprint, token, page_size, index, key, reverse, offset = payload
    return (
        isinstance(cursor_fingerprint, str)
        and (token is None or (isinstance(token, str) and len(token) <= MAX_UPSTREAM_TOKEN_LENGTH))
        and type(page_size) is int
        and 1 <= page_size <= MAX_UPSTREAM_PAGE_SIZE
        and type(index) is int
        and 0 <= index < page_size
        and isinstance(key, str)
        and 0 < len(key) <= MAX_KEY_LENGTH
        and reverse in (0, 1)
        and type(offset) is int
        and 0 <= offset <= MAX_OFFSET
    )
