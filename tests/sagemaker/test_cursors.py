"""Signed cursors: opaque, round-trip, and refuse anything not made here for this query."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.sagemaker.cursors import CursorCodec, InvalidCursor, Position, fingerprint

KEY = b"k" * 32
CODEC = CursorCodec(KEY)
QUERY = fingerprint("candidates", ["churn", None, None, "CreationTime", "Ascending"])
POSITION = Position("token", 10, 3, "churn-001", False)


@given(
    token=st.none() | st.text(max_size=200),
    page_size=st.integers(1, 300),
    key=st.text(min_size=1, max_size=64),
    reverse=st.booleans(),
    offset=st.integers(0, 10_000_000),
    data=st.data(),
)
def test_round_trip(
    token: str | None, page_size: int, key: str, reverse: bool, offset: int, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, page_size - 1))
    position = Position(token, page_size, index, key, reverse, offset)
    assert CODEC.decode(CODEC.encode(QUERY, position), QUERY) == position


def test_cursor_does_not_show_the_upstream_token_in_clear() -> None:
    assert "token" not in CODEC.encode(QUERY, POSITION)


def test_fingerprint_depends_on_every_argument() -> None:
    base = ["churn", None, None, None, None]
    prints = {fingerprint("candidates", base)}
    for index, value in enumerate(["fraud", "Completed", "name", "Status", "Descending"]):
        changed = list(base)
        changed[index] = value
        prints.add(fingerprint("candidates", changed))
    prints.add(fingerprint("jobs", base))
    assert len(prints) == 7


def test_a_cursor_of_another_query_is_refused() -> None:
    other = fingerprint("candidates", ["churn", "Failed", None, "CreationTime", "Ascending"])
    with pytest.raises(InvalidCursor, match="different job, filter or sort"):
        CODEC.decode(CODEC.encode(other, POSITION), QUERY)


def _signed(payload: object, key: bytes = KEY) -> str:
    body = "v3." + base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    signature = hmac.new(key, body.encode(), hashlib.sha256).digest()[:16]
    return body + "." + base64.urlsafe_b64encode(signature).decode().rstrip("=")


GOOD = CODEC.encode(QUERY, POSITION)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage",
        "v3.",
        "v3..",
        GOOD[:-3],  # truncated
        GOOD[:20],
        GOOD.replace("v3.", "v2.", 1),  # an older format
        GOOD[:10] + ("A" if GOOD[10] != "A" else "B") + GOOD[11:],  # one character changed
        CursorCodec(b"another key").encode(QUERY, POSITION),  # forged with another key
        _signed([QUERY, "token", 10, 3, "churn-001", 0, 0, 0], key=b"guess"),
        GOOD + "é",
    ],
)
def test_tampered_forged_or_truncated_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor, match="not one this gateway made") as raised:
        CODEC.decode(cursor, QUERY)
    assert raised.value.code == "BAD_USER_INPUT"
    assert "Restart paging" in raised.value.message


@pytest.mark.parametrize(
    "payload",
    [
        {"not": "a list"},
        [QUERY, None, 0, 0, "k", 0, 0],
        [QUERY, None, 301, 0, "k", 0, 0],
        [QUERY, None, 10, 10, "k", 0, 0],
        [QUERY, None, 10, -1, "k", 0, 0],
        [QUERY, 5, 10, 0, "k", 0, 0],
        [QUERY, None, True, 0, "k", 0, 0],
        [QUERY, "x" * 9000, 10, 0, "k", 0, 0],
        [QUERY, None, 10, 0, "", 0, 0],
        [QUERY, None, 10, 0, "k", 2, 0],
        [QUERY, None, 10, 0, "k", 0, -1],
        [QUERY, None, 10, 0, "k", 0, 1.5],
        [QUERY, None, 10, 0, "k", 0],  # the previous format's six members
    ],
)
def test_signed_but_malformed_payloads_are_refused(payload: object) -> None:
    with pytest.raises(InvalidCursor, match="malformed"):
        CODEC.decode(_signed(payload), QUERY)
