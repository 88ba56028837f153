"""Cursor encoding: opaque, round-trips, and refuses anything it did not make for this query."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.sagemaker.cursors import InvalidCursor, decode_cursor, encode_cursor, fingerprint
from gateway.sagemaker.paging import Position

QUERY = fingerprint("candidates", ["churn", None, None, "CreationTime", "Ascending"])


@given(
    token=st.none() | st.text(max_size=200),
    page_size=st.integers(1, 300),
    data=st.data(),
)
def test_round_trip(token: str | None, page_size: int, data: st.DataObject) -> None:
    position = Position(token, page_size, data.draw(st.integers(0, page_size - 1)))
    assert decode_cursor(encode_cursor(QUERY, position), QUERY) == position


def test_cursor_does_not_show_the_upstream_token_in_clear() -> None:
    cursor = encode_cursor(QUERY, Position("secret-next-token", 10, 3))
    assert "secret-next-token" not in cursor


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
    cursor = encode_cursor(other, Position(None, 10, 0))
    with pytest.raises(InvalidCursor, match="different job, filter or sort"):
        decode_cursor(cursor, QUERY)


def _forge(payload: object) -> str:
    raw = json.dumps(payload).encode()
    return "v1:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage",
        "v1:",
        "v1:!!!!",
        "v2:" + encode_cursor(QUERY, Position(None, 10, 0))[3:],
        encode_cursor(QUERY, Position(None, 10, 0))[:-4],
        _forge({"not": "a list"}),
        _forge([QUERY, None, 0, 0]),
        _forge([QUERY, None, 301, 0]),
        _forge([QUERY, None, 10, 10]),
        _forge([QUERY, None, 10, -1]),
        _forge([QUERY, 5, 10, 0]),
        _forge([QUERY, None, True, 0]),
        _forge([QUERY, "x" * 9000, 10, 0]),
    ],
)
def test_malformed_cursors_are_bad_user_input(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as raised:
        decode_cursor(cursor, QUERY)
    assert raised.value.code == "BAD_USER_INPUT"
    assert "Restart paging" in raised.value.message
