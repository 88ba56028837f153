"""SageMaker's JSON answers parsed with orjson, equal to botocore's parse.

botocore's JSON parser decodes a body with ``json`` and then hands every value to a handler
looked up by name; each timestamp goes through ``parse_timestamp``, which builds a
``tzlocal()`` and runs dateutil's pure-Python ``fromutc``. For a page of 100 candidates that
walk costs several times the decoding itself. :class:`FastJSONParser` decodes with orjson and
walks with converters computed once per output shape, and returns exactly what botocore's
parser returns: the same keys in the same order, the same types, the same values.

Only the body of a successful answer is parsed here. Everything else stays botocore's:
signing, retries, error and non-2xx answers, event streams, custom parser defaults, and every
answer the fast path does not recognise (invalid JSON, integers beyond 64 bits, a value of
another type than the model says, ...). Those go to the stock parser, from the body, so they
come out as botocore makes them, exceptions included. Tagged unions and recursive shapes are
converted by botocore's own handlers, on the decoded value.

One difference is left: JSON nested deeper than ``json`` can recurse (Python's recursion
limit less the caller's stack, some 900 levels) but within orjson's 1024 levels is parsed
here, where botocore raises ``RecursionError``.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, cast

import orjson
from aiobotocore.parsers import AioJSONParser, AioResponseParserFactory
from botocore.compat import get_tzinfo_options
from botocore.parsers import DEFAULT_TIMESTAMP_PARSER, JSONParser
from botocore.utils import parse_timestamp

logger = logging.getLogger(__name__)

Stamp = Callable[[Any], dt.datetime]
"""An epoch number to the datetime ``parse_timestamp`` makes of it (chosen once per answer)."""

Converter = Callable[[Any, Stamp], Any]
"""orjson's value of a shape to botocore's; ``None`` where the two are the same."""

_IDENTICAL = frozenset({"string", "integer", "long", "float", "double", "boolean"})
"""Types botocore's JSON parser returns as decoded (its ``_default_handle``)."""

_BOTOCORE = JSONParser()
"""botocore's parser with its default timestamp and blob parsers, for the shapes left to it."""

_ZEROS = bytes.maketrans(b"123456789", b"000000000")
"""Every digit as 0: a run of digits becomes a run of zeros, found by a bytes search."""
_RUN = b"0" * 19


class _Unrecognised(Exception):
    """A value of another type than its shape; the stock parser decides what it makes of it."""


class FastJSONParser(AioJSONParser):  # type: ignore[misc]
    """aiobotocore's JSON-protocol parser, with successful answers parsed by orjson."""

    def __init__(
        self,
        converters: dict[Any, Converter | None],
        timestamp_parser: Any = None,
        blob_parser: Any = None,
    ) -> None:
        super().__init__(timestamp_parser, blob_parser)
        self._converters = converters
        # The converters reproduce botocore's default timestamp and blob parsers only.
        self._fast = timestamp_parser in (None, DEFAULT_TIMESTAMP_PARSER) and blob_parser is None

    async def _do_parse(self, response: dict[str, Any], shape: Any) -> Any:
        body = response["body"]
        if (
            not self._fast
            or shape is None
            or shape.event_stream_name
            or not 200 <= response["status_code"] < 300
            or type(body) is not bytes
            or _may_hold_long_integers(body)
        ):
            return await super()._do_parse(response, shape)
        try:
            decoded = orjson.loads(body)
            convert = self._converter(shape)
            parsed = decoded if convert is None else convert(decoded, _stamp())
        except Exception as error:  # whatever it is, botocore's parse of the body decides
            logger.debug("Left %s's answer to botocore's parser: %r", shape.name, error)
            return await super()._do_parse(response, shape)
        self._inject_response_metadata(parsed, response["headers"])
        return parsed

    def _converter(self, shape: Any) -> Converter | None:
        try:
            return self._converters[shape]
        except KeyError:
            convert = self._converters[shape] = converter(shape)
            return convert


class FastParserFactory(AioResponseParserFactory):  # type: ignore[misc]
    """aiobotocore's parser factory, making :class:`FastJSONParser` for the JSON protocol.

    The endpoint asks for a parser per answer, so the converters live here, per output shape.
    """

    def __init__(self) -> None:
        super().__init__()
        self._converters: dict[Any, Converter | None] = {}

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "json":
            return FastJSONParser(self._converters, **self._defaults)
        return super().create_parser(protocol_name)


def converter(shape: Any, outer: frozenset[str] = frozenset()) -> Converter | None:
    """What botocore's JSON parser does to a decoded value of ``shape``, precomputed.

    ``outer`` names the shapes around this one: a shape inside itself is left to botocore.
    """
    kind = shape.type_name
    if kind in _IDENTICAL:
        return None
    if kind == "timestamp":
        return _timestamp
    if kind == "blob":
        return _blob
    if kind == "structure" and shape.is_document_type:
        return None
    if kind not in ("structure", "list", "map") or shape.name in outer:
        return _botocore(shape)
    if kind == "structure" and shape.is_tagged_union:
        return _botocore(shape)
    inner = outer | {shape.name}
    if kind == "list":
        return _list(converter(shape.member, inner))
    if kind == "map":
        return _map(converter(shape.key, inner), converter(shape.value, inner))
    return _structure(
        tuple(
            (name, member.serialization.get("name", name), converter(member, inner))
            for name, member in shape.members.items()
        )
    )


def _structure(members: tuple[tuple[str, str, Converter | None], ...]) -> Converter:
    """botocore's ``_handle_structure``: members in the model's order, nulls and others dropped."""

    def convert(value: Any, stamp: Stamp) -> Any:
        if type(value) is not dict:
            if value is None:
                return None
            raise _Unrecognised(type(value).__name__)
        parsed = {}
        for name, wire_name, member in members:
            raw = value.get(wire_name)
            if raw is not None:
                parsed[name] = raw if member is None else member(raw, stamp)
        return parsed

    return convert


def _list(item: Converter | None) -> Converter:
    """botocore's ``_handle_list``; a list it would copy unchanged is orjson's own."""

    def convert(value: Any, stamp: Stamp) -> Any:
        if type(value) is not list:
            raise _Unrecognised(type(value).__name__)
        if item is None:
            return value
        return [item(element, stamp) for element in value]

    return convert


def _map(key: Converter | None, value: Converter | None) -> Converter:
    """botocore's ``_handle_map``; a dict it would copy unchanged is orjson's own."""

    def convert(mapping: Any, stamp: Stamp) -> Any:
        if type(mapping) is not dict:
            raise _Unrecognised(type(mapping).__name__)
        if key is None and value is None:
            return mapping
        return {
            (k if key is None else key(k, stamp)): (v if value is None else value(v, stamp))
            for k, v in mapping.items()
        }

    return convert


def _botocore(shape: Any) -> Converter:
    """botocore's own handlers, for what is rare enough not to be worth reproducing."""

    def convert(value: Any, stamp: Stamp) -> Any:
        return _BOTOCORE._parse_shape(shape, value)

    return convert


def _blob(value: Any, stamp: Stamp) -> Any:
    """botocore's default blob parser."""
    return base64.b64decode(value)


def _timestamp(value: Any, stamp: Stamp) -> Any:
    """botocore's ``parse_timestamp``: epoch numbers fast, anything else by botocore itself."""
    if type(value) is int or type(value) is float:
        try:
            return stamp(value)
        except (OverflowError, OSError, ValueError):
            pass  # botocore has fallbacks of its own for these
    return parse_timestamp(value)


def _stamp() -> Stamp:
    """``parse_timestamp`` of an epoch number, for the local zone as it is now.

    botocore makes ``datetime.fromtimestamp(seconds, tzlocal())``, with a ``tzlocal()`` of
    its own for each, whose ``fromutc`` is dateutil's Python. Where the local zone is UTC
    without DST (``utcoffset(None)`` is zero; containers' usual zone), that ``fromutc``
    changes no field and sets no fold: the same datetime is C's ``fromtimestamp`` in UTC with
    a ``tzlocal()`` put in. Anywhere else, botocore's own ``parse_timestamp`` does it.
    """
    zone = get_tzinfo_options()[0]
    if zone().utcoffset(None) == dt.timedelta(0):
        return lambda seconds: dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=zone())
    return cast(Stamp, parse_timestamp)


def _may_hold_long_integers(body: bytes) -> bool:
    """Whether ``body`` may hold an integer beyond 64 bits: orjson reads it as a float.

    Such an integer is a run of at least 19 digits (-9223372036854775809 is the smallest in
    size) that neither follows a point nor is followed by a point or an exponent, or it would
    be a float to ``json`` as well. A string may hold such a run too; then the stock parser
    runs, slower but equal.
    """
    zeros = body.translate(_ZEROS)
    start = zeros.find(_RUN)
    while start != -1:
        end = start + len(_RUN)
        while zeros[end : end + 1] == b"0":
            end += 1
        if zeros[start - 1 : start] != b"." and zeros[end : end + 1] not in (b".", b"e", b"E"):
            return True
        start = zeros.find(_RUN, end)
    return False
