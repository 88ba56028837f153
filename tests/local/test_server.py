"""LocalSageMaker as a server: isolation, seeding, quietness and moto's other actions."""

from __future__ import annotations

import logging
import socket
from typing import Any

import aioboto3
import pytest

from gateway.local import DEMO_JOB_NAMES, LocalSageMaker, seed_demo_jobs
from tests.local.builders import unique_name, v1_job
from tests.local.conftest import make_client


def test_endpoint_url_points_at_the_bound_port(server: LocalSageMaker) -> None:
    assert server.endpoint_url == f"http://127.0.0.1:{server.port}"
    assert server.port > 0 and server.region == "us-east-1"


def test_each_server_has_its_own_autopilot_state(server: LocalSageMaker, sagemaker: Any) -> None:
    with LocalSageMaker(seed=False) as empty:
        client = make_client(empty)
        assert client.list_auto_ml_jobs()["AutoMLJobSummaries"] == []
        name = unique_name("isolated")
        client.create_auto_ml_job(
            **v1_job(name, AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 2}})
        )
        assert [s["AutoMLJobName"] for s in client.list_auto_ml_jobs()["AutoMLJobSummaries"]] == [
            name
        ]
    assert not server.autopilot.has_job(name)
    assert sagemaker.list_auto_ml_jobs(NameContains=name)["AutoMLJobSummaries"] == []


def test_seeding_twice_is_harmless(server: LocalSageMaker) -> None:
    before = server.autopilot.job_names()
    assert set(DEMO_JOB_NAMES) <= set(before)
    assert seed_demo_jobs(server.autopilot) == []
    assert server.autopilot.job_names() == before
    with LocalSageMaker() as another:  # a second seeded server in the same process
        assert set(another.autopilot.job_names()) == set(DEMO_JOB_NAMES)


def test_requests_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with LocalSageMaker(seed=False) as quiet:
        make_client(quiet).list_auto_ml_jobs()
    assert [r for r in caplog.records if r.name == "werkzeug"] == []


def test_stop_releases_the_port() -> None:
    local = LocalSageMaker(seed=False).start()
    port = local.port
    local.stop()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    local.wait()  # returns at once once stopped


def test_other_sagemaker_actions_are_still_motos(sagemaker: Any) -> None:
    name = unique_name("model")
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn="arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-test",
        PrimaryContainer={
            "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
        },
    )
    assert sagemaker.describe_model(ModelName=name)["ModelName"] == name


async def test_aioboto3_clients_work_too(server: LocalSageMaker) -> None:
    session = aioboto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    async with session.client("sagemaker", endpoint_url=server.endpoint_url) as client:
        page = await client.list_candidates_for_auto_ml_job(
            AutoMLJobName="customer-churn-xgb", MaxResults=25
        )
        job = await client.describe_auto_ml_job_v2(AutoMLJobName="customer-churn-xgb")
    assert len(page["Candidates"]) == 25 and "NextToken" in page
    assert job["BestCandidate"]["CandidateName"].startswith("customer-churn-xgb-")
