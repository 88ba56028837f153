"""The gateway's one connection to SageMaker: a long-lived aioboto3 client per process.

Creating a client costs several times a call, and a session far more, so both are made
once in the application's lifespan and shared by every request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aioboto3
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from gateway.errors import (
    BadUserInput,
    GatewayError,
    InternalError,
    NotFound,
    Throttled,
    UpstreamUnavailable,
)
from gateway.sagemaker.metrics import UPSTREAM_CALLS
from gateway.sagemaker.parsing import FastParserFactory
from gateway.sagemaker.usage import current_usage
from gateway.settings import Settings

logger = logging.getLogger(__name__)

_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "SlowDown",
    }
)
_CREDENTIAL_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)


@dataclass(frozen=True, slots=True)
class StaticCredentials:
    """Fixed credentials, for the local SageMaker only; production uses the AWS chain."""

    access_key_id: str
    secret_access_key: str


class SageMaker:
    """SageMaker's API, with AWS errors turned into gateway errors and calls counted, in the
    metrics and in the request's usage.

    At most ``max_concurrency`` calls run at once, so fanning out over many jobs stays
    within SageMaker's request rate instead of tripping its throttling.
    """

    def __init__(self, client: Any, max_concurrency: int) -> None:
        self._client = client
        self._slots = asyncio.Semaphore(max_concurrency)

    async def call(self, operation: str, params: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
        """The response of ``operation`` (snake_case) and the size of its body in bytes."""
        usage = current_usage.get()
        started = time.perf_counter()
        retries = 0
        try:
            async with self._slots:
                response: dict[str, Any] = await self._call(operation, params)
        except GatewayError as error:
            UPSTREAM_CALLS.labels(operation, error.code).inc()
            if isinstance(error.__cause__, ClientError):
                retries = _retries(error.__cause__.response)
            raise
        else:
            UPSTREAM_CALLS.labels(operation, "OK").inc()
            retries = _retries(response)
            metadata = response.pop("ResponseMetadata", {})
            return response, int(metadata.get("HTTPHeaders", {}).get("content-length", 0))
        finally:
            if usage is not None:
                usage.calls += 1
                usage.retries += retries
                usage.seconds += time.perf_counter() - started

    async def _call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response: dict[str, Any] = await getattr(self._client, operation)(**params)
            return response
        except ClientError as error:
            raise _translate(operation, params, error) from error
        except (ConnectionError, NoCredentialsError, PartialCredentialsError) as error:
            logger.warning("SageMaker %s failed: %s", operation, error)
            raise UpstreamUnavailable("SageMaker is unavailable; try again later.") from error
        except BotoCoreError as error:
            logger.error("SageMaker %s failed: %r", operation, error)
            raise InternalError("The gateway could not complete the SageMaker call.") from error


def _retries(response: Mapping[str, Any]) -> int:
    """How many times botocore retried the call that got this response."""
    return int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0))


def _translate(operation: str, params: Mapping[str, Any], error: ClientError) -> GatewayError:
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code == "ResourceNotFound":
        return NotFound(f"No AutoML job named '{params.get('AutoMLJobName', '')}'.")
    logger.warning("SageMaker %s failed: %s (HTTP %s): %s", operation, code, status, message)
    if code == "ValidationException":
        if "token" in message.lower():
            return BadUserInput("The cursor is no longer valid. Restart paging without `after`.")
        return BadUserInput("SageMaker rejected the arguments of this query.")
    if code in _THROTTLING_CODES or status == 429:
        return Throttled("SageMaker is throttling the gateway; try again shortly.")
    if code in _CREDENTIAL_CODES:
        return UpstreamUnavailable("The gateway is not authorized to read from SageMaker.")
    if status >= 500:
        return UpstreamUnavailable("SageMaker is unavailable; try again later.")
    return InternalError("The gateway could not complete the SageMaker call.")


@asynccontextmanager
async def open_sagemaker(
    settings: Settings, credentials: StaticCredentials | None = None
) -> AsyncIterator[SageMaker]:
    """Open the process's SageMaker client; it is closed when the context exits."""
    botocore_session = get_session()
    # Successful JSON answers are parsed with orjson, to exactly what botocore would return.
    botocore_session.register_component("response_parser_factory", FastParserFactory())
    session = aioboto3.Session(
        botocore_session=botocore_session,
        region_name=settings.aws_region,
        aws_access_key_id=credentials.access_key_id if credentials else None,
        aws_secret_access_key=credentials.secret_access_key if credentials else None,
    )
    config = AioConfig(
        retries={"mode": "standard", "total_max_attempts": settings.sagemaker_max_attempts},
        connect_timeout=settings.sagemaker_connect_timeout_seconds,
        read_timeout=settings.sagemaker_read_timeout_seconds,
        max_pool_connections=settings.sagemaker_max_pool_connections,
    )
    async with session.client(
        "sagemaker", endpoint_url=settings.sagemaker_endpoint_url, config=config
    ) as client:
        yield SageMaker(client, settings.sagemaker_max_concurrency)
