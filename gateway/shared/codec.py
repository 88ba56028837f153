"""How cached values travel through a shared store: JSON or raw bytes, never pickle.

A replica must never run what another one wrote, so values are data only. SageMaker's answers
hold datetimes, which JSON has no type for: each is written as ``{"$datetime": "<ISO 8601>"}``
and read back as a timezone-aware datetime. Whole results are already JSON bytes and travel
as they are. The first byte says which of the two a value is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

DATETIME_TAG = "$datetime"
_BYTES = b"B"
_JSON = b"J"


class UndecodableValue(ValueError):
    """A stored value this version cannot read (another format, or damaged)."""


def encode(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return _BYTES + bytes(value)
    return _JSON + orjson.dumps(value, default=_tag, option=orjson.OPT_PASSTHROUGH_DATETIME)


def decode(data: bytes) -> Any:
    kind, body = data[:1], data[1:]
    if kind == _BYTES:
        return body
    if kind != _JSON:
        raise UndecodableValue(f"unknown value kind {kind!r}")
    try:
        return _untag(orjson.loads(body))
    except (orjson.JSONDecodeError, ValueError, TypeError) as error:
        raise UndecodableValue(str(error)) from error


def _tag(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetimes are ambiguous across replicas")
        return {DATETIME_TAG: value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not JSON data")


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and DATETIME_TAG in value:
            return datetime.fromisoformat(value[DATETIME_TAG])
        return {key: _untag(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_untag(item) for item in value]
    return value
