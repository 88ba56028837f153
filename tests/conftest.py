from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from gateway.local.seed import DEMO_JOB_NAMES
from gateway.local.server import LocalSageMaker
from gateway.settings import Settings
from tests.gateway_server import TEST_CREDENTIALS, GraphQLClient, running_gateway


@pytest.fixture(scope="session")
def local_sagemaker() -> Iterator[LocalSageMaker]:
    """One local SageMaker with the demo jobs, shared by the whole run."""
    with LocalSageMaker(seed=True) as sagemaker:
        yield sagemaker


@pytest.fixture(scope="session")
def sagemaker_client(local_sagemaker: LocalSageMaker) -> Any:
    """A plain boto3 client on the local SageMaker: the reference the gateway must match."""
    return boto3.client(
        "sagemaker",
        endpoint_url=local_sagemaker.endpoint_url,
        region_name=local_sagemaker.region,
        aws_access_key_id=TEST_CREDENTIALS.access_key_id,
        aws_secret_access_key=TEST_CREDENTIALS.secret_access_key,
    )


@pytest.fixture(scope="session")
def gateway_settings(local_sagemaker: LocalSageMaker) -> Settings:
    return Settings(
        auth_mode="none",
        sagemaker_endpoint_url=local_sagemaker.endpoint_url,
        aws_region=local_sagemaker.region,
    )


@pytest.fixture(scope="session")
def gateway(gateway_settings: Settings) -> Iterator[GraphQLClient]:
    with running_gateway(gateway_settings) as url:
        yield GraphQLClient(url)


@pytest.fixture(scope="session")
def demo_jobs() -> list[str]:
    return list(DEMO_JOB_NAMES)


@pytest.fixture(scope="session")
def big_job() -> str:
    """The demo job with 250 candidates."""
    return "customer-churn-xgb"


@pytest.fixture(scope="session")
def uncached_gateway(gateway_settings: Settings) -> Iterator[GraphQLClient]:
    """A gateway that caches nothing: what each query costs upstream by itself."""
    settings = gateway_settings.model_copy(
        update={"cache_ttl_seconds": 0, "active_cache_ttl_seconds": 0}
    )
    with running_gateway(settings) as url:
        yield GraphQLClient(url)


@pytest.fixture
def faults(local_sagemaker: LocalSageMaker) -> Iterator[Any]:
    """The local SageMaker's fault injection, cleared before and after the test."""
    local_sagemaker.autopilot.faults.clear()
    yield local_sagemaker.autopilot.faults
    local_sagemaker.autopilot.faults.clear()
