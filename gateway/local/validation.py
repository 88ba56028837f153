"""Request validation against botocore's SageMaker service model, with AWS-style messages.

AWS validates every request against the same model botocore ships (required members, lengths,
ranges, enums, patterns) before looking anything up, and reports all violations at once, e.g.
``1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member
must have value greater than or equal to 1``. Clients built with
``Config(parameter_validation=False)`` (and other SDKs) rely on the server doing this, so the
local SageMaker must too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape
from moto.sagemaker.exceptions import SagemakerClientError, ValidationError


class SerializationException(SagemakerClientError):
    """A member of the wrong JSON type (AWS answers these before validating constraints)."""

    code = "SerializationException"


@functools.cache
def service_model() -> ServiceModel:
    """botocore's SageMaker model: the single source of truth for shapes and constraints."""
    return botocore.session.get_session().get_service_model("sagemaker")


def input_shape(operation: str) -> StructureShape:
    shape = service_model().operation_model(operation).input_shape
    assert isinstance(shape, StructureShape)
    return shape


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    # Java's Unicode classes used by a few SageMaker patterns (tags); close Python equivalents.
    translated = pattern.replace(r"\p{L}", r"\w").replace(r"\p{N}", r"\w").replace(r"\p{Z}", r"\s")
    return re.compile(translated, re.DOTALL)


def matches_pattern(pattern: str, value: str) -> bool:
    """Whether ``value`` matches a model pattern as a whole (AWS patterns are anchored)."""
    return _compiled(pattern).fullmatch(value) is not None


def _member_path(parent: str, member: str) -> str:
    name = member[:1].lower() + member[1:]
    return f"{parent}.{name}" if parent else name


def _render(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "'true'" if value else "'false'"
    return f"'{value}'"


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "boolean": (bool,),
    "timestamp": (datetime,),
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
}


def _type_ok(shape: Shape, value: Any) -> bool:
    expected = _TYPES.get(shape.type_name)
    if expected is None:
        return True
    if isinstance(value, bool) and shape.type_name != "boolean":
        return False
    return isinstance(value, expected)


def _bound_violations(
    at: str, meta: Mapping[str, Any], measure: str, measured: float
) -> Iterator[str]:
    """The model's min/max constraints that ``measured`` (a length or a value) breaks."""
    if "min" in meta and measured < meta["min"]:
        yield f"{at} have {measure} greater than or equal to {meta['min']}"
    if "max" in meta and measured > meta["max"]:
        yield f"{at} have {measure} less than or equal to {meta['max']}"


def _violations(shape: Shape, value: Any, path: str) -> Iterator[str]:
    """Every constraint ``value`` breaks, as AWS phrases them."""
    if not _type_ok(shape, value):
        raise SerializationException(f"Unexpected value type for '{path}' ({shape.type_name}).")
    meta = shape.metadata
    at = f"Value {_render(value)} at '{path}' failed to satisfy constraint: Member must"
    if shape.type_name == "string":
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            yield f"{at} satisfy enum value set: [{', '.join(enum)}]"
        yield from _bound_violations(at, meta, "length", len(value))
        if "pattern" in meta and not matches_pattern(meta["pattern"], value):
            yield f"{at} satisfy regular expression pattern: {meta['pattern']}"
    elif shape.type_name in {"integer", "long", "float", "double"}:
        yield from _bound_violations(at, meta, "value", value)
    elif isinstance(shape, StructureShape):
        if meta.get("union") and sum(value.get(m) is not None for m in shape.members) != 1:
            yield (
                f"Value at '{path}' failed to satisfy constraint: Member must have exactly one "
                f"of the following members set: [{', '.join(shape.members)}]"
            )
        for member in shape.required_members:
            if value.get(member) is None:
                yield (
                    f"Value null at '{_member_path(path, member)}' failed to satisfy "
                    "constraint: Member must not be null"
                )
        for member, member_shape in shape.members.items():
            if value.get(member) is not None:
                yield from _violations(member_shape, value[member], _member_path(path, member))
    elif isinstance(shape, ListShape | MapShape):
        at = f"Value at '{path}' failed to satisfy constraint: Member must"
        yield from _bound_violations(at, meta, "length", len(value))
        if isinstance(shape, ListShape):
            for index, item in enumerate(value, start=1):
                yield from _violations(shape.member, item, f"{path}.{index}.member")
        else:
            for key, item in value.items():
                yield from _violations(shape.key, key, f"{path}.{key}.key")
                yield from _violations(shape.value, item, f"{path}.{key}.value")


def validation_message(errors: list[str]) -> str:
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} detected: " + "; ".join(errors)


def validate_request(operation: str, params: Mapping[str, Any]) -> None:
    """Raise ValidationException (or SerializationException) if ``params`` break the model."""
    errors = list(_violations(input_shape(operation), dict(params), ""))
    if errors:
        raise ValidationError(validation_message(errors))
