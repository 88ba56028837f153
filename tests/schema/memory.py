"""The schema on in-memory SageMaker answers: a stand-in for the request's ``Autopilot``, and
hypothesis strategies for SageMaker-shaped data with the gaps and bad values answers may
have. Data is generated from botocore's model, so it has SageMaker's shapes."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from botocore.model import Shape
from hypothesis import strategies as st
from strawberry import Schema

from gateway.errors import NotFound
from gateway.sagemaker.cursors import CursorCodec
from gateway.sagemaker.planner import Listing, Page, PagedList, PageLimits
from gateway.schema.context import Context
from tests.aws_shapes import shape

AWS = dict[str, Any]
UNKNOWN_VALUE = "SomethingNewFromSageMaker"
ZONES = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-7, minutes=-30))]


class MemoryAutopilot:
    """Answers like the request's Autopilot, from one job and its candidates in memory."""

    def __init__(self, candidates: list[AWS], job: AWS | None = None) -> None:
        self._candidates = candidates
        self._job = job

    def candidates(self, query: Any) -> PagedList[AWS]:
        async def fetch(token: str | None, size: int) -> Page[AWS]:
            return Page(self._candidates, None)

        listing = Listing(fetch=fetch, key=lambda c: str(c.get("CandidateName")), max_page_size=300)
        return PagedList(listing, "memory", CursorCodec(b"k" * 32), PageLimits(25, 1000, 5))

    async def job(self, name: str) -> AWS:
        if self._job is None:
            raise NotFound(f"No AutoML job named '{name}'.")
        return self._job


def execute(schema: Schema, query: str, autopilot: Any, **variables: Any) -> dict[str, Any]:
    """The result as a client sees it: data, then errors as graphql-core formats them."""
    context = Context(request=None, autopilot=autopilot)  # type: ignore[arg-type]
    result = asyncio.run(schema.execute(query, variable_values=variables, context_value=context))
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return body


# ------------------------------------------------------------------------------------------
# SageMaker-shaped data


FAULTS = ("drop", "null", "nan", "inf", "-inf", "big int", "unknown enum")


@st.composite
def aws_value(draw: st.DrawFn, of: Shape, only: tuple[str, ...] | None = None) -> Any:
    """A value of botocore shape ``of`` (of a structure, only the members ``only``)."""
    kind = of.type_name
    if kind == "structure":
        return {
            name: draw(aws_value(member))
            for name, member in of.members.items()
            if (only is None or name in only)
            and (name in of.required_members or draw(st.booleans()))
        }
    if kind == "list":
        return draw(st.lists(aws_value(of.member), max_size=3))
    if kind == "map":
        return draw(st.dictionaries(aws_value(of.key), aws_value(of.value), max_size=3))
    if kind == "string":
        if of.enum:
            return draw(st.sampled_from(of.enum))
        return draw(st.text(alphabet="abcXYZ019-_/:.", min_size=1, max_size=8))
    if kind == "timestamp":
        moment = draw(st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)))
        return moment.replace(tzinfo=draw(st.sampled_from(ZONES)))
    if kind in ("double", "float"):
        return draw(st.floats(-1e6, 1e6, allow_nan=False))
    if kind in ("integer", "long"):
        return draw(st.integers(0, 2**31 - 1))
    if kind == "boolean":
        return draw(st.booleans())
    return draw(st.text(max_size=4))


def _members(data: Any, of: Shape) -> list[tuple[AWS, str, Shape]]:
    """Every (structure, member name, member shape) in ``data``, nested ones included."""
    found: list[tuple[AWS, str, Shape]] = []
    if of.type_name == "structure" and isinstance(data, dict):
        for name, member in of.members.items():
            if name in data:
                found.append((data, name, member))
                found.extend(_members(data[name], member))
    elif of.type_name == "list" and isinstance(data, list):
        for item in data:
            found.extend(_members(item, of.member))
    elif of.type_name == "map" and isinstance(data, dict):
        for value in data.values():
            found.extend(_members(value, of.value))
    return found


def _applies(fault: str, member: Shape) -> bool:
    kind = member.type_name
    return (
        fault in ("drop", "null")
        or (fault in ("nan", "inf", "-inf") and kind in ("double", "float"))
        or (fault == "big int" and kind in ("integer", "long"))
        or (fault == "unknown enum" and kind == "string" and bool(member.enum))
    )


BAD_VALUES = {
    "null": None,  # what a dict reads as for a member botocore dropped
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "big int": 2**31,
    "unknown enum": UNKNOWN_VALUE,
}


@st.composite
def with_faults(draw: st.DrawFn, data: Any, of: Shape) -> Any:
    """``data`` with a few gaps and bad values: a missing (even required) member, a null,
    NaN, ±inf, an Int past 32 bits, an enum value newer than the gateway."""
    for _ in range(draw(st.sampled_from([0, 0, 1, 2, 4]))):
        fault = draw(st.sampled_from(FAULTS))
        members = [m for m in _members(data, of) if _applies(fault, m[2])]
        if not members:
            continue
        parent, name, _member = draw(st.sampled_from(members))
        if fault == "drop":
            del parent[name]
        else:
            parent[name] = BAD_VALUES[fault]
    return data


def candidates(max_size: int = 4) -> st.SearchStrategy[list[AWS]]:
    of = shape("AutoMLCandidate")
    candidate = aws_value(of).flatmap(lambda data: with_faults(data, of))
    return st.lists(candidate, min_size=1, max_size=max_size)


JOB_MEMBERS = (
    "AutoMLJobName",
    "AutoMLJobArn",
    "AutoMLJobStatus",
    "AutoMLJobSecondaryStatus",
    "CreationTime",
    "EndTime",
    "LastModifiedTime",
    "FailureReason",
    "PartialFailureReasons",
    "BestCandidate",
    "AutoMLProblemTypeConfigName",
    "AutoMLJobObjective",
    "ResolvedAttributes",
)


@st.composite
def job(draw: st.DrawFn) -> AWS:
    """A DescribeAutoMLJobV2 answer with the members the schema reads, and a few faults."""
    of = shape("DescribeAutoMLJobV2Response")
    data: AWS = draw(aws_value(of, JOB_MEMBERS))
    data = draw(with_faults(data, of))
    data["AutoMLJobName"] = "j"
    return data
