"""FastJSONParser returns exactly what botocore's parser returns, and the gateway uses it.

"Exactly" is checked on a form that ``==`` would miss: the type of every value (a datetime's
tzinfo and fold included) and the order of every dict's keys.
"""

from __future__ import annotations

import base64
import json
import math
import os
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.session
import pytest
from aiobotocore.config import AioConfig
from aiobotocore.parsers import AioJSONParser
from aiobotocore.session import get_session
from botocore.awsrequest import HeadersDict
from botocore.exceptions import ClientError
from botocore.model import ServiceModel
from botocore.utils import parse_timestamp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gateway.local.seed import DEMO_JOB_NAMES
from gateway.local.server import LocalSageMaker
from gateway.sagemaker.client import open_sagemaker
from gateway.sagemaker.parsing import FastJSONParser, FastParserFactory
from gateway.settings import Settings
from tests.gateway_server import TEST_CREDENTIALS

SAGEMAKER = botocore.session.get_session().get_service_model("sagemaker")
OPERATIONS = [
    "ListCandidatesForAutoMLJob",
    "DescribeAutoMLJobV2",
    "DescribeAutoMLJob",
    "ListAutoMLJobs",
]
# Generating a description (some 50 structures) takes seconds for a hundred examples.
OPERATION_CASES = [
    pytest.param(name, marks=pytest.mark.slow) if name.startswith("Describe") else name
    for name in OPERATIONS
]

# What botocore's parser does not meet in SageMaker's answers, but the JSON protocol allows:
# wire names, blobs, documents, a recursive shape, a tagged union, longs and doubles.
SYNTHETIC = ServiceModel(
    {
        "metadata": {
            "protocol": "json",
            "jsonVersion": "1.1",
            "apiVersion": "2024-01-01",
            "endpointPrefix": "synthetic",
            "serviceId": "Synthetic",
            "signatureVersion": "v4",
            "targetPrefix": "Synthetic",
        },
        "operations": {
            "Read": {
                "name": "Read",
                "http": {"method": "POST", "requestUri": "/"},
                "output": {"shape": "ReadOutput"},
            }
        },
        "shapes": {
            "ReadOutput": {
                "type": "structure",
                "members": {
                    "Data": {"shape": "Blob", "locationName": "data"},
                    "Chunks": {"shape": "Blobs"},
                    "Tree": {"shape": "Node"},
                    "ByName": {"shape": "NodesByName"},
                    "Choice": {"shape": "Choice"},
                    "Document": {"shape": "Document"},
                    "Stamps": {"shape": "Stamps"},
                    "Count": {"shape": "Long", "locationName": "count"},
                    "Ratio": {"shape": "Double"},
                    "Flag": {"shape": "Boolean"},
                },
            },
            "Node": {
                "type": "structure",
                "members": {
                    "Name": {"shape": "String", "locationName": "name"},
                    "Created": {"shape": "Timestamp"},
                    "Children": {"shape": "Nodes"},
                },
            },
            "Nodes": {"type": "list", "member": {"shape": "Node"}},
            "NodesByName": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "Node"}},
            "Choice": {
                "type": "structure",
                "union": True,
                "members": {
                    "Text": {"shape": "String", "locationName": "text"},
                    "Node": {"shape": "Node"},
                },
            },
            "Document": {"type": "structure", "members": {}, "document": True},
            "Blobs": {"type": "list", "member": {"shape": "Blob"}},
            "Stamps": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "Timestamp"}},
            "Blob": {"type": "blob"},
            "String": {"type": "string"},
            "Long": {"type": "long"},
            "Double": {"type": "double"},
            "Boolean": {"type": "boolean"},
            "Timestamp": {"type": "timestamp"},
        },
    },
    service_name="synthetic",
)


# -- Comparing -------------------------------------------------------------------------------


def typed(value: Any) -> Any:
    """``value`` with the type of everything in it, and each dict's key order."""
    if isinstance(value, dict):
        return (type(value), [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return (type(value), [typed(v) for v in value])
    if isinstance(value, datetime):
        zone = (type(value.tzinfo), value.utcoffset(), value.dst(), value.tzname())
        return (datetime, repr(value), value.fold, zone)
    return (type(value), repr(value))


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """The result of a coroutine that never waits (a parse of a body in memory)."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    coroutine.close()
    raise AssertionError("the parser waited for something")


class FellBack(Exception):
    pass


class _Spy(AioJSONParser):  # type: ignore[misc]
    """Sits where FastJSONParser's fallback goes: records that botocore parsed the body."""

    fell_back = False

    async def _do_parse(self, response: dict[str, Any], shape: Any) -> Any:
        self.fell_back = True
        return await super()._do_parse(response, shape)


class Probe(FastJSONParser, _Spy):
    """FastJSONParser, telling whether it left the answer to botocore's parser."""


CONVERTERS: dict[Any, Any] = {}
"""Shared by every Probe, as a factory shares its converters between the parsers it makes."""


def outcome(parser: Any, response: dict[str, Any], shape: Any) -> tuple[Any, ...]:
    try:
        parsed = run(parser.parse(response, shape))
    except Exception as error:
        return ("raised", type(error), str(error))
    return ("parsed", typed(parsed))


def assert_same_parse(response: dict[str, Any], shape: Any) -> Probe:
    """Parse with botocore's parser and ours; they must agree, down to types and key order."""
    probe = Probe(CONVERTERS)
    assert outcome(probe, response, shape) == outcome(AioJSONParser(), response, shape)
    return probe


def http_response(body: bytes, status: int = 200) -> dict[str, Any]:
    """The response dict botocore's endpoint gives its parser."""
    headers = HeadersDict(
        {
            "Content-Type": "application/x-amz-json-1.1",
            "x-amzn-RequestId": "3f6a1c9e-5b7d-4e2a-9c1f-0d8b7a6e5f4c",
            "Content-Length": str(len(body)),
            "Date": "Tue, 01 Dec 2026 09:00:00 GMT",
        }
    )
    return {"status_code": status, "headers": headers, "body": body, "context": {}}


# -- Generating answers from the model -------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    """A number written as it stands in the body, e.g. ``0.1000000000000000055511151231257827``."""

    text: str


@dataclass(frozen=True)
class Vocabulary:
    """What values are made of: answers as SageMaker sends them, or anything JSON can hold."""

    valid: bool
    text: st.SearchStrategy[str]
    integers: st.SearchStrategy[Any]
    floats: st.SearchStrategy[Any]
    epochs: st.SearchStrategy[Any]
    json: st.SearchStrategy[Any]


def number_literals(integer: str, fraction: str, exponent: str) -> st.SearchStrategy[Literal]:
    """Numbers as ``integer[.fraction][e exponent]``, each part given as a regex."""
    pattern = rf"-?({integer})(\.{fraction})?([eE][+-]?{exponent})?"
    return st.from_regex(pattern, fullmatch=True).map(Literal)


def vocabulary(valid: bool) -> Vocabulary:
    if valid:
        # Well-typed and within what the fast path takes: integers below 10**18 (the fast path
        # leaves every integer of 19 digits or more to botocore), no NaN or Infinity, UTF-8 text
        # shorter than 19 digits, epochs within datetime's years.
        text: st.SearchStrategy[str] = st.text(max_size=12)
        integers = st.integers(-(2**31), 2**31) | st.integers(-(10**18) + 1, 10**18 - 1)
        literals = number_literals("0|[1-9][0-9]{0,17}", "[0-9]{1,30}", "[0-9]{1,2}") | (
            number_literals("[1-9][0-9]{18,30}", "[0-9]{1,30}", "[0-9]{1,2}").filter(
                lambda literal: "." in literal.text or "e" in literal.text.lower()
            )
        )
        floats = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-99, 99) | literals
        day = 86400
        epochs = st.one_of(
            st.integers(0, 2**32),
            st.floats(0, 2**32),
            st.integers(-62135596800, 253402300799 - day),
            st.floats(-62135596800, 253402300799 - day),
        )
        scalars = st.none() | st.booleans() | integers | floats | text
    else:
        # Anything: other types than the model's, integers beyond 64 bits, NaN, surrogates.
        text = st.text(max_size=8) | st.text(
            alphabet=st.characters(categories=["Cs", "Lo", "So", "Cc"]), max_size=3
        )
        literals = number_literals("0|[1-9][0-9]{0,30}", "[0-9]{1,30}", "[0-9]{1,4}")
        integers = st.integers() | literals
        specials = st.sampled_from(["NaN", "Infinity", "-Infinity"])
        floats = st.floats() | st.integers() | literals | specials
        epochs = st.one_of(
            st.integers(),
            st.floats(),
            literals,
            st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
            text,
        )
        scalars = st.none() | st.booleans() | integers | floats | text
    json_values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
        max_leaves=6,
    )
    if not valid:
        integers = integers | json_values
        floats = floats | json_values
        epochs = epochs | json_values
    return Vocabulary(valid, text, integers, floats, epochs, json_values)


VALID = vocabulary(valid=True)
ANYTHING = vocabulary(valid=False)
MAX_DEPTH = 6


def values(shape: Any, words: Vocabulary, depth: int = 0) -> st.SearchStrategy[Any]:
    """Decoded JSON the JSON protocol could send for ``shape``."""
    kind = shape.type_name
    size = 3 if depth < MAX_DEPTH else 0
    if kind == "structure":
        return words.json if shape.is_document_type else structures(shape, words, depth)
    if kind == "list":
        items = values(shape.member, words, depth + 1)
        return st.lists(items if words.valid else items | st.none(), max_size=size)
    if kind == "map":
        entries = values(shape.value, words, depth + 1)
        return st.dictionaries(
            words.text, entries if words.valid else entries | st.none(), max_size=size
        )
    if kind == "string":
        enum = shape.enum  # and values it does not know yet
        text = (st.sampled_from(enum) | words.text) if enum else words.text
        return text if words.valid else text | words.json
    if kind in ("integer", "long"):
        return words.integers
    if kind in ("float", "double"):
        return words.floats
    if kind == "boolean":
        return st.booleans() if words.valid else st.booleans() | words.json
    if kind == "timestamp":
        return words.epochs
    if kind == "blob":
        blobs = st.binary(max_size=8).map(lambda b: base64.b64encode(b).decode())
        return blobs if words.valid else blobs | words.json
    raise AssertionError(f"no strategy for {kind}")


@st.composite
def structures(draw: st.DrawFn, shape: Any, words: Vocabulary, depth: int) -> Any:
    """Some members, some explicit nulls, some keys the model does not know, in any order."""
    if not words.valid and draw(st.integers(0, 19)) == 0:
        return draw(words.json)
    items: list[tuple[str, Any]] = []
    members = list(shape.members.items()) if depth < MAX_DEPTH else []
    union = shape.is_tagged_union
    if union and members and (words.valid or draw(st.integers(0, 9)) > 0):
        members = [draw(st.sampled_from(members))]  # one member set, as a valid union is
    wire_names = {member.serialization.get("name", name) for name, member in shape.members.items()}
    for name, member in members:
        wire_name = member.serialization.get("name", name)
        presence = draw(st.sampled_from(["value", "value", "null", "absent"]))
        if union and words.valid:
            presence = "value"
        if presence != "absent":
            value = None if presence == "null" else draw(values(member, words, depth + 1))
            items.append((wire_name, value))
    if not (union and words.valid):
        unknown = words.text.filter(lambda key: key not in wire_names or not words.valid)
        items += draw(st.lists(st.tuples(unknown, words.json), max_size=2))
    if union and draw(st.booleans()):
        items.append(("__type", draw(words.text)))
    return dict(draw(st.permutations(items)))


@dataclass(frozen=True)
class Style:
    """How the body is written: the same values, other bytes."""

    ensure_ascii: bool
    spaced: bool
    float_format: str


STYLES = st.builds(
    Style, st.booleans(), st.booleans(), st.sampled_from(["r", ".17g", ".25e", ".3f"])
)


def encode(value: Any, style: Style) -> str:
    comma, colon = (", ", ": ") if style.spaced else (",", ":")
    if isinstance(value, dict):
        items = (f"{encode(k, style)}{colon}{encode(v, style)}" for k, v in value.items())
        return "{" + comma.join(items) + "}"
    if isinstance(value, list):
        return "[" + comma.join(encode(v, style) for v in value) + "]"
    if isinstance(value, Literal):
        return value.text
    if isinstance(value, float) and math.isfinite(value) and style.float_format != "r":
        return format(value, style.float_format)
    # json's own: NaN and Infinity as the bare words Python's json reads (orjson does not).
    return json.dumps(value, ensure_ascii=style.ensure_ascii)


def body_of(value: Any, style: Style) -> bytes:
    return encode(value, style).encode("utf-8", "surrogatepass")


# -- 1. Arbitrary answers of the operations the gateway calls --------------------------------


@pytest.mark.parametrize("operation", OPERATION_CASES)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), style=STYLES)
def test_valid_answers_are_parsed_by_orjson_as_botocore_parses_them(
    operation: str, data: st.DataObject, style: Style
) -> None:
    shape = SAGEMAKER.operation_model(operation).output_shape
    body = body_of(data.draw(values(shape, VALID)), style)
    probe = assert_same_parse(http_response(body), shape)
    assert not probe.fell_back


@pytest.mark.parametrize("operation", OPERATION_CASES)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), style=STYLES)
def test_any_answer_parses_or_fails_as_botocore_parses_it(
    operation: str, data: st.DataObject, style: Style
) -> None:
    shape = SAGEMAKER.operation_model(operation).output_shape
    body = body_of(data.draw(values(shape, ANYTHING)), style)
    probe = assert_same_parse(http_response(body), shape)
    event("left to botocore" if probe.fell_back else "parsed by orjson")


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), valid=st.booleans(), style=STYLES)
def test_what_sagemaker_does_not_use_parses_as_botocore_parses_it(
    data: st.DataObject, valid: bool, style: Style
) -> None:
    shape = SYNTHETIC.operation_model("Read").output_shape
    body = body_of(data.draw(values(shape, VALID if valid else ANYTHING)), style)
    probe = assert_same_parse(http_response(body), shape)
    event("left to botocore" if probe.fell_back else "parsed by orjson")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[]",
        b'"text"',
        b"{}",
        b"not json",
        b"\xef\xbb\xbf{}",
        b'{"AutoMLJobSummaries": "not a list"}',
        b'{"AutoMLJobSummaries": [null]}',
        b'{"AutoMLJobSummaries": [{"CreationTime": null}], "NextToken": 1}',
        b'{"AutoMLJobSummaries": [{"CreationTime": "2026-12-01T09:00:00Z"}]}',
        b'{"AutoMLJobSummaries": [{"CreationTime": 1e400}]}',
        b'{"AutoMLJobSummaries": [{"CreationTime": NaN}]}',
        b'{"AutoMLJobSummaries": [{"CreationTime": 99999999999999}]}',
        b'{"AutoMLJobSummaries": [{"CreationTime": true}]}',
        b'{"AutoMLJobSummaries": [{"AutoMLJobName": 123456789012345678901234}]}',
        b'{"AutoMLJobSummaries": [{"AutoMLJobName": -9223372036854775809}]}',
        b'{"AutoMLJobSummaries": [], "AutoMLJobSummaries": [{"AutoMLJobName": "b"}]}',
        b'{"AutoMLJobSummaries": [{"AutoMLJobName": "\\ud800"}]}',
        b'{"AutoMLJobSummaries": [{"AutoMLJobName": "\xed\xa0\x80"}]}',
        b'{"NextToken": "t", "ResponseMetadata": {"RequestId": "forged"}}',
        # Deep nesting: both parse, both fail (between the two, botocore's json gives up first).
        b'{"X": ' + b"[" * 500 + b"]" * 500 + b"}",
        b'{"X": ' + b"[" * 1100 + b"]" * 1100 + b"}",
    ],
)
def test_unusual_bodies_parse_or_fail_as_botocore_does(body: bytes) -> None:
    shape = SAGEMAKER.operation_model("ListAutoMLJobs").output_shape
    assert_same_parse(http_response(body), shape)


def test_members_come_in_the_models_order_without_nulls_or_unknown_keys() -> None:
    shape = SAGEMAKER.operation_model("ListAutoMLJobs").output_shape
    body = (
        b'{"NextToken": null, "Unknown": 1, "AutoMLJobSummaries": [{"EndTime": 1795242754.25,'
        b' "AutoMLJobName": "churn", "FailureReason": null, "AutoMLJobStatus": "Brand new"}]}'
    )
    probe = assert_same_parse(http_response(body), shape)
    parsed = run(probe.parse(http_response(body), shape))
    assert not probe.fell_back
    assert list(parsed) == ["AutoMLJobSummaries", "ResponseMetadata"]
    (summary,) = parsed["AutoMLJobSummaries"]
    assert list(summary) == ["AutoMLJobName", "AutoMLJobStatus", "EndTime"]
    assert repr(summary["EndTime"]) == repr(parse_timestamp(1795242754.25))


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_each_datetime_has_a_tzlocal_of_its_own_as_botocore_gives_it(zone: str) -> None:
    # Two datetimes sharing one tzinfo would subtract and compare as wall times, across DST.
    shape = SAGEMAKER.operation_model("ListAutoMLJobs").output_shape
    summary = b'{"CreationTime": 1699162200, "EndTime": 1699165800.5}'
    body = b'{"AutoMLJobSummaries": [%s, %s]}' % (summary, summary)
    with local_zone(zone):
        assert not assert_same_parse(http_response(body), shape).fell_back
        parsed = run(Probe(CONVERTERS).parse(http_response(body), shape))
        stamps = [s[k] for s in parsed["AutoMLJobSummaries"] for k in ("CreationTime", "EndTime")]
        assert len({id(stamp.tzinfo) for stamp in stamps}) == len(stamps)
        assert stamps[1] - stamps[0] == timedelta(seconds=3600.5)


def test_non_2xx_answers_are_left_to_botocore() -> None:
    shape = SAGEMAKER.operation_model("DescribeAutoMLJobV2").output_shape
    error = b'{"__type": "ResourceNotFound", "message": "No job"}'
    for status in (300, 400, 404, 429, 500, 503):
        probe = assert_same_parse(http_response(error, status), shape)
        # From 301 on, botocore's parse() parses errors without asking for a body parse.
        assert probe.fell_back == (status == 300)


# -- Timestamps, in zones other than the container's UTC -------------------------------------


@contextmanager
def local_zone(zone: str) -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


ZONES = ["UTC", "America/New_York", "Atlantic/Reykjavik", "Australia/Lord_Howe", "Asia/Kolkata"]
EDGE_EPOCHS = [
    0,
    -1,
    0.5,
    -0.5,
    1.0000005,
    1699162200,  # 2023-11-05 01:30 in New York, twice
    1699165800,
    1680363000.999999,  # 2023-04-02 02:30 at Lord Howe, twice
    -62135596800,  # 0001-01-01T00:00:00Z
    253402300799.999999,  # 9999-12-31T23:59:59Z
    253402300800,
    -62135596801,
    2**63,
]


@pytest.mark.parametrize("zone", ZONES)
@settings(max_examples=50, deadline=None)
@given(epochs=st.lists(VALID.epochs | ANYTHING.epochs, max_size=5))
def test_timestamps_are_botocores_in_any_local_zone(zone: str, epochs: list[Any]) -> None:
    shape = SAGEMAKER.operation_model("ListAutoMLJobs").output_shape
    summaries = [{"CreationTime": epoch} for epoch in [*EDGE_EPOCHS, *epochs]]
    body = body_of({"AutoMLJobSummaries": summaries}, Style(True, False, "r"))
    with local_zone(zone):
        assert_same_parse(http_response(body), shape)
        for summary in summaries:
            one = body_of({"AutoMLJobSummaries": [summary]}, Style(True, False, "r"))
            assert_same_parse(http_response(one), shape)


# -- 2. Every answer of the local SageMaker --------------------------------------------------


def every_answer(sagemaker: LocalSageMaker) -> list[tuple[str, dict[str, Any]]]:
    """The raw HTTP answers of the calls the gateway makes, over every demo job."""
    client = boto3.client(
        "sagemaker",
        endpoint_url=sagemaker.endpoint_url,
        region_name=sagemaker.region,
        aws_access_key_id=TEST_CREDENTIALS.access_key_id,
        aws_secret_access_key=TEST_CREDENTIALS.secret_access_key,
    )
    answers: list[tuple[str, dict[str, Any]]] = []

    def record(operation_model: Any, response_dict: dict[str, Any], **kwargs: Any) -> None:
        answers.append((operation_model.name, dict(response_dict)))

    client.meta.events.register("before-parse.sagemaker.*", record)

    def pages(operation: str, **params: Any) -> None:
        token: str | None = None
        while True:
            try:
                more = {"NextToken": token} if token else {}
                page = getattr(client, operation)(**params, **more)
            except ClientError:
                return
            token = page.get("NextToken")
            if token is None:
                return

    def enum(operation: str, member: str) -> list[str]:
        shape = SAGEMAKER.operation_model(operation).input_shape.members[member]
        return list(shape.enum)

    for sort_by in enum("ListAutoMLJobs", "SortBy"):
        for order in enum("ListAutoMLJobs", "SortOrder"):
            pages("list_auto_ml_jobs", SortBy=sort_by, SortOrder=order, MaxResults=3)
    for status in enum("ListAutoMLJobs", "StatusEquals"):
        pages("list_auto_ml_jobs", StatusEquals=status, MaxResults=100)
    for job in DEMO_JOB_NAMES:
        pages("describe_auto_ml_job", AutoMLJobName=job)
        pages("describe_auto_ml_job_v2", AutoMLJobName=job)
        operation = "ListCandidatesForAutoMLJob"
        for sort_by in enum(operation, "SortBy"):
            for order in enum(operation, "SortOrder"):
                pages("list_candidates_for_auto_ml_job", AutoMLJobName=job, SortBy=sort_by,
                      SortOrder=order, MaxResults=100)  # fmt: skip
        for status in enum(operation, "StatusEquals"):
            pages("list_candidates_for_auto_ml_job", AutoMLJobName=job, StatusEquals=status)
        first = client.list_candidates_for_auto_ml_job(AutoMLJobName=job, MaxResults=1)
        for candidate in first["Candidates"]:
            pages("list_candidates_for_auto_ml_job", AutoMLJobName=job,
                  CandidateNameEquals=candidate["CandidateName"])  # fmt: skip
    pages("describe_auto_ml_job_v2", AutoMLJobName="no-such-job")
    return answers


@pytest.mark.slow
def test_every_answer_of_the_local_sagemaker_parses_as_botocore_parses_it(
    local_sagemaker: LocalSageMaker,
) -> None:
    answers = every_answer(local_sagemaker)
    assert {name for name, _ in answers} == set(OPERATIONS)
    successes = 0
    for name, response in answers:
        shape = SAGEMAKER.operation_model(name).output_shape
        probe = assert_same_parse(response, shape)
        if 200 <= response["status_code"] < 300:
            successes += 1
            assert not probe.fell_back, f"{name}'s answer was left to botocore's parser"
    assert successes > 100
    assert any(response["status_code"] >= 400 for _, response in answers)


# -- 3. Errors through a client that uses the parser -----------------------------------------


@contextmanager
def injected(sagemaker: LocalSageMaker) -> Iterator[Any]:
    """The shared local SageMaker's faults, left as found: other tests count injections."""
    faults = sagemaker.autopilot.faults
    count = faults.injected
    faults.clear()
    try:
        yield faults
    finally:
        faults.clear()
        faults.injected = count


async def call(
    sagemaker: LocalSageMaker, fast: bool, operation: str, attempts: int = 1, **params: Any
) -> Any:
    """The answer, or the exception, of one call through a client with or without our parser."""
    session = get_session()
    if fast:
        session.register_component("response_parser_factory", FastParserFactory())
    config = AioConfig(retries={"mode": "standard", "total_max_attempts": attempts})
    async with session.create_client(
        "sagemaker",
        endpoint_url=sagemaker.endpoint_url,
        region_name=sagemaker.region,
        aws_access_key_id=TEST_CREDENTIALS.access_key_id,
        aws_secret_access_key=TEST_CREDENTIALS.secret_access_key,
        config=config,
    ) as client:
        factory = client._endpoint._response_parser_factory
        assert isinstance(factory, FastParserFactory) == fast
        try:
            return await getattr(client, operation)(**params)
        except ClientError as error:
            return error


def comparable(error: ClientError) -> tuple[Any, ...]:
    """An error without what differs between two requests: its request ID and date."""
    response = dict(error.response)
    metadata = dict(response.pop("ResponseMetadata"))
    metadata.pop("RequestId", None)
    metadata["HTTPHeaders"] = {
        k: v for k, v in metadata["HTTPHeaders"].items() if k not in ("date", "x-amzn-requestid")
    }
    return (type(error).__name__, type(error).__mro__[1:], str(error), typed(response), metadata)


async def test_not_found_is_botocores_exception(local_sagemaker: LocalSageMaker) -> None:
    name = "no-such-job"
    ours = await call(local_sagemaker, True, "describe_auto_ml_job_v2", AutoMLJobName=name)
    stock = await call(local_sagemaker, False, "describe_auto_ml_job_v2", AutoMLJobName=name)
    assert isinstance(ours, ClientError)
    assert ours.response["Error"]["Code"] == "ResourceNotFound"
    assert comparable(ours) == comparable(stock)


async def test_throttling_is_botocores_exception_and_still_retried(
    local_sagemaker: LocalSageMaker, big_job: str
) -> None:
    errors = []
    for fast in (True, False):
        with injected(local_sagemaker) as faults:
            faults.inject("DescribeAutoMLJobV2", code="ThrottlingException", times=1)
            errors.append(
                await call(local_sagemaker, fast, "describe_auto_ml_job_v2", AutoMLJobName=big_job)
            )
    ours, stock = errors
    assert isinstance(ours, ClientError)
    assert ours.response["Error"]["Code"] == "ThrottlingException"
    assert comparable(ours) == comparable(stock)

    with injected(local_sagemaker) as faults:
        before = faults.injected
        faults.inject("DescribeAutoMLJobV2", code="ThrottlingException", times=2)
        answer = await call(
            local_sagemaker, True, "describe_auto_ml_job_v2", attempts=3, AutoMLJobName=big_job
        )
        assert faults.injected - before == 2
    assert answer["AutoMLJobName"] == big_job
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2


# -- 4. The gateway's client uses it ---------------------------------------------------------


async def test_the_gateways_client_parses_with_orjson(
    gateway_settings: Settings,
    sagemaker_client: Any,
    big_job: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    params = {"AutoMLJobName": big_job, "MaxResults": 100}
    expected = sagemaker_client.list_candidates_for_auto_ml_job(**params)
    expected.pop("ResponseMetadata")
    async with open_sagemaker(gateway_settings, TEST_CREDENTIALS) as sagemaker:
        factory = sagemaker._client._endpoint._response_parser_factory
        assert isinstance(factory, FastParserFactory)
        assert type(factory.create_parser("json")) is FastJSONParser
        # botocore's parse of the body is what a fallback would run: forbid it.
        monkeypatch.setattr(AioJSONParser, "_do_parse", _forbidden)
        answer, size = await sagemaker.call("list_candidates_for_auto_ml_job", params)
    assert typed(answer) == typed(expected)
    assert size > 0


async def _forbidden(self: Any, response: dict[str, Any], shape: Any) -> Any:
    raise FellBack(shape.name)
