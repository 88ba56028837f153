from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from dateutil.tz import tzlocal

from gateway.shared import codec


def test_sagemaker_answers_keep_their_datetimes_and_everything_else() -> None:
    answer = {
        "AutoMLJobName": "churn",
        "CreationTime": datetime(2026, 11, 3, 9, 30, 15, 123000, tzinfo=tzlocal()),
        "Candidates": [
            {"EndTime": datetime(2026, 11, 3, 10, 0, tzinfo=timezone(timedelta(hours=2)))},
            {"Value": 0.5, "Count": 3, "Flag": True, "Missing": None, "Name": "$datetime"},
        ],
    }
    decoded = codec.decode(codec.encode(answer))
    assert decoded == answer
    assert decoded["CreationTime"].utcoffset() == answer["CreationTime"].utcoffset()


def test_bytes_travel_as_they_are() -> None:
    body = b'{"data":{"x":1}}'
    assert codec.decode(codec.encode(body)) == body
    assert codec.encode(body) == b"B" + body


def test_values_are_json_never_pickle() -> None:
    data = codec.encode({"When": datetime(2026, 1, 1, tzinfo=UTC)})
    assert data == b'J{"When":{"$datetime":"2026-01-01T00:00:00+00:00"}}'
    with pytest.raises(TypeError):
        codec.encode({"thing": object()})


def test_naive_datetimes_are_refused_as_ambiguous() -> None:
    with pytest.raises(TypeError):  # orjson reports it as "not JSON serializable"
        codec.encode({"When": datetime(2026, 1, 1)})


@pytest.mark.parametrize("data", [b"", b"\x80\x04pickle", b"J{not json", b'J{"$datetime": 5}'])
def test_values_this_version_cannot_read_are_reported(data: bytes) -> None:
    with pytest.raises(codec.UndecodableValue):
        codec.decode(data)
