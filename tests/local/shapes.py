"""An independent checker of responses against botocore's SageMaker output shapes.

Deliberately separate from ``gateway.local.validation`` (which checks *requests*): if the
emulator and its checker shared code, a shared mistake would pass unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape


@cache
def sagemaker_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("sagemaker")


def output_shape(operation: str) -> StructureShape:
    shape = sagemaker_model().operation_model(operation).output_shape
    assert isinstance(shape, StructureShape)
    return shape


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    # AWS patterns are Java regexes matched against the whole value; Python's re lacks \p{..}.
    pattern = pattern.replace(r"\p{L}", r"\w").replace(r"\p{N}", r"\w").replace(r"\p{Z}", r"\s")
    return re.compile(pattern, re.DOTALL)


def assert_valid(operation: str, parsed: dict[str, Any], raw: dict[str, Any]) -> None:
    """``operation``'s answer, as botocore parsed it and as sent, is exactly of its shape."""
    shape = output_shape(operation)
    errors = shape_errors(shape, parsed) + shape_errors(shape, raw, raw=True)
    assert errors == [], "\n".join(errors[:20])


def shape_errors(shape: Shape, value: Any, path: str = "$", *, raw: bool = False) -> list[str]:
    """Every way ``value`` departs from ``shape``.

    ``raw=True`` checks the JSON body as sent (timestamps are epoch numbers there, and members
    botocore would silently drop count as errors); otherwise botocore's parsed response.
    """
    return list(_errors(shape, value, path, raw))


def _errors(shape: Shape, value: Any, path: str, raw: bool) -> Iterator[str]:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "string":
        if not isinstance(value, str):
            yield f"{path}: expected string, got {type(value).__name__}"
            return
        enum = getattr(shape, "enum", None) or []
        if enum and value not in enum:
            yield f"{path}: {value!r} not in enum {enum}"
        if len(value) < meta.get("min", 0):
            yield f"{path}: length {len(value)} < min {meta['min']}"
        if "max" in meta and len(value) > meta["max"]:
            yield f"{path}: length {len(value)} > max {meta['max']}"
        if "pattern" in meta and not _regex(meta["pattern"]).fullmatch(value):
            yield f"{path}: {value!r} does not match {meta['pattern']!r}"
    elif kind in {"integer", "long"}:
        if isinstance(value, bool) or not isinstance(value, int):
            yield f"{path}: expected integer, got {value!r}"
            return
        yield from _range(meta, value, path)
    elif kind in {"float", "double"}:
        if isinstance(value, bool) or not isinstance(value, int | float):
            yield f"{path}: expected number, got {value!r}"
            return
        yield from _range(meta, value, path)
    elif kind == "boolean":
        if not isinstance(value, bool):
            yield f"{path}: expected boolean, got {value!r}"
    elif kind == "timestamp":
        expected: tuple[type, ...] = (int, float) if raw else (datetime,)
        if isinstance(value, bool) or not isinstance(value, expected):
            yield f"{path}: expected timestamp, got {value!r}"
    elif isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            yield f"{path}: expected structure, got {type(value).__name__}"
            return
        for member in shape.required_members:
            if value.get(member) is None:
                yield f"{path}.{member}: required member missing"
        for key, item in value.items():
            if key not in shape.members:
                if raw or key != "ResponseMetadata":
                    yield f"{path}.{key}: not a member of {shape.name}"
                continue
            if item is None:
                yield f"{path}.{key}: null"
                continue
            yield from _errors(shape.members[key], item, f"{path}.{key}", raw)
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            yield f"{path}: expected list, got {type(value).__name__}"
            return
        yield from _length(meta, value, path)
        for index, item in enumerate(value):
            yield from _errors(shape.member, item, f"{path}[{index}]", raw)
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            yield f"{path}: expected map, got {type(value).__name__}"
            return
        yield from _length(meta, value, path)
        for key, item in value.items():
            yield from _errors(shape.key, key, f"{path}<key {key!r}>", raw)
            yield from _errors(shape.value, item, f"{path}[{key!r}]", raw)
    else:
        yield f"{path}: unchecked shape type {kind}"


def _range(meta: dict[str, Any], value: float, path: str) -> Iterator[str]:
    if "min" in meta and value < meta["min"]:
        yield f"{path}: {value} < min {meta['min']}"
    if "max" in meta and value > meta["max"]:
        yield f"{path}: {value} > max {meta['max']}"


def _length(meta: dict[str, Any], value: list[Any] | dict[str, Any], path: str) -> Iterator[str]:
    if "min" in meta and len(value) < meta["min"]:
        yield f"{path}: {len(value)} items < min {meta['min']}"
    if "max" in meta and len(value) > meta["max"]:
        yield f"{path}: {len(value)} items > max {meta['max']}"


def member_paths(shape: Shape, prefix: str = "") -> set[str]:
    """Every member path a value of ``shape`` can have; maps with enum keys expand per key."""
    paths: set[str] = set()
    if isinstance(shape, StructureShape):
        for name, member in shape.members.items():
            path = f"{prefix}.{name}" if prefix else name
            paths.add(path)
            paths |= member_paths(member, path)
    elif isinstance(shape, ListShape):
        paths |= member_paths(shape.member, f"{prefix}[]")
    elif isinstance(shape, MapShape):
        keys = getattr(shape.key, "enum", None) or ["*"]
        for key in keys:
            paths.add(f"{prefix}{{{key}}}")
            paths |= member_paths(shape.value, f"{prefix}{{{key}}}")
    return paths


def present_paths(shape: Shape, value: Any, prefix: str = "") -> set[str]:
    """The member paths ``value`` actually has, in :func:`member_paths` notation."""
    paths: set[str] = set()
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for name, item in value.items():
            if name in shape.members:
                path = f"{prefix}.{name}" if prefix else name
                paths.add(path)
                paths |= present_paths(shape.members[name], item, path)
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for item in value:
            paths |= present_paths(shape.member, item, f"{prefix}[]")
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        enum = getattr(shape.key, "enum", None)
        for key, item in value.items():
            path = f"{prefix}{{{key if enum else '*'}}}"
            paths.add(path)
            paths |= present_paths(shape.value, item, path)
    return paths
