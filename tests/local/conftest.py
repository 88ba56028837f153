"""A seeded local SageMaker shared by the tests in this directory, and clients for it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore import xform_name
from botocore.config import Config

from gateway.local import LocalSageMaker

Call = Callable[..., tuple[dict[str, Any], dict[str, Any]]]


def make_client(server: LocalSageMaker, *, validate: bool = True, region: str = "us-east-1") -> Any:
    return boto3.client(
        "sagemaker",
        endpoint_url=server.endpoint_url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(parameter_validation=validate, retries={"total_max_attempts": 1}),
    )


@pytest.fixture(scope="session")
def server() -> Iterator[LocalSageMaker]:
    with LocalSageMaker() as local:
        yield local


@pytest.fixture(scope="session")
def sagemaker(server: LocalSageMaker) -> Any:
    """A boto3 client with the usual client-side parameter validation."""
    return make_client(server)


@pytest.fixture(scope="session")
def unchecked(server: LocalSageMaker) -> Any:
    """A client that sends whatever it is given, so the server's validation is what answers."""
    return make_client(server, validate=False)


@pytest.fixture(scope="session")
def call(server: LocalSageMaker) -> Call:
    """``call("Operation", **params)`` -> (botocore's parsed response, the raw JSON body)."""
    client = make_client(server)
    bodies: list[bytes] = []

    def record(response_dict: dict[str, Any], **_: Any) -> None:
        bodies.append(response_dict["body"])

    client.meta.events.register("before-parse.sagemaker.*", record)

    def invoke(operation: str, **params: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        parsed = getattr(client, xform_name(operation))(**params)
        raw = json.loads(bodies.pop()) if bodies[-1] else {}
        bodies.clear()
        return parsed, raw

    return invoke
