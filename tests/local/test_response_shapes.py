"""Every AutoML answer of the local SageMaker has exactly the form botocore's model gives it."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.local import DEMO_JOB_NAMES, DEMO_JOB_STATUSES, LocalSageMaker
from tests.local.builders import (
    FORECASTING,
    IMAGE_CLASSIFICATION,
    TEXT_CLASSIFICATION,
    tabular,
    unique_name,
    v1_job,
    v2_job,
)
from tests.local.conftest import Call
from tests.local.shapes import (
    assert_valid,
    member_paths,
    output_shape,
    present_paths,
    shape_errors,
)

TABULAR_DEMO_JOBS = [
    "customer-churn-xgb",
    "fraud-detection-auc",
    "house-prices-regression",
    "support-ticket-priority",
    "house-prices-baseline",
    "customer-churn-xgb-rerun",
]


def test_the_checker_catches_what_it_should() -> None:
    """Guard against a validator that accepts anything."""
    shape = output_shape("ListCandidatesForAutoMLJob")
    bad = {
        "Candidates": [
            {
                "CandidateName": "x" * 65,
                "ObjectiveStatus": "Done",
                "CandidateSteps": [
                    {
                        "CandidateStepType": "AWS::SageMaker::TrainingJob",
                        "CandidateStepArn": "arn:aws:sagemaker:us-east-1:12345:training-job/x",
                        "CandidateStepName": "x",
                    }
                ],
                "CandidateStatus": "Completed",
                "CreationTime": 1.0,
                "Surprise": True,
            }
        ]
    }
    errors = shape_errors(shape, bad, raw=True)
    assert any("length 65 > max 64" in e for e in errors)
    assert any("'Done' not in enum" in e for e in errors)
    assert any("does not match" in e for e in errors)
    assert any("LastModifiedTime: required member missing" in e for e in errors)
    assert any("Surprise: not a member" in e for e in errors)


@pytest.mark.parametrize("job_name", DEMO_JOB_NAMES)
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"SortBy": "FinalObjectiveMetricValue", "SortOrder": "Descending", "MaxResults": 300},
        {"SortBy": "Status", "MaxResults": 50},
        {"StatusEquals": "Completed", "MaxResults": 3},
    ],
    ids=["defaults", "by-metric", "by-status", "completed-only"],
)
def test_list_candidates_pages_match_the_shape(
    call: Call, server: LocalSageMaker, job_name: str, params: dict[str, Any]
) -> None:
    token: str | None = None
    listed = 0
    while True:
        extra = {"NextToken": token} if token else {}
        parsed, raw = call("ListCandidatesForAutoMLJob", AutoMLJobName=job_name, **params, **extra)
        assert_valid("ListCandidatesForAutoMLJob", parsed, raw)
        listed += len(parsed["Candidates"])
        token = parsed.get("NextToken")
        if token is None:
            break
    wanted = params.get("StatusEquals")
    stored = server.autopilot.candidates(job_name)
    assert listed == sum(1 for c in stored if wanted in (None, c["CandidateStatus"]))


@pytest.mark.parametrize("job_name", DEMO_JOB_NAMES)
def test_describe_v2_matches_the_shape(call: Call, job_name: str) -> None:
    parsed, raw = call("DescribeAutoMLJobV2", AutoMLJobName=job_name)
    assert_valid("DescribeAutoMLJobV2", parsed, raw)
    assert parsed["AutoMLJobStatus"] == DEMO_JOB_STATUSES[job_name]


@pytest.mark.parametrize("job_name", TABULAR_DEMO_JOBS)
def test_describe_v1_matches_the_shape(call: Call, job_name: str) -> None:
    parsed, raw = call("DescribeAutoMLJob", AutoMLJobName=job_name)
    assert_valid("DescribeAutoMLJob", parsed, raw)


@pytest.mark.parametrize(
    "params",
    [{}, {"MaxResults": 3}, {"SortBy": "Status", "SortOrder": "Ascending"}],
    ids=["defaults", "small-pages", "by-status"],
)
def test_list_jobs_pages_match_the_shape(call: Call, params: dict[str, Any]) -> None:
    token = None
    while True:
        parsed, raw = call("ListAutoMLJobs", **params, **({"NextToken": token} if token else {}))
        assert_valid("ListAutoMLJobs", parsed, raw)
        token = parsed.get("NextToken")
        if token is None:
            break


@pytest.mark.parametrize(
    ("problem_config", "extra"),
    [
        (tabular(5), {}),
        (tabular(4, ProblemType="Regression"), {"AutoMLJobObjective": {"MetricName": "RMSE"}}),
        (TEXT_CLASSIFICATION, {}),
        (FORECASTING, {"AutoMLJobObjective": {"MetricName": "MAPE"}}),
        (IMAGE_CLASSIFICATION, {}),
    ],
    ids=["tabular", "regression", "text", "forecasting", "image"],
)
def test_created_v2_jobs_match_the_shapes(
    call: Call, problem_config: dict[str, Any], extra: dict[str, Any]
) -> None:
    name = unique_name("shape-v2")
    parsed, raw = call("CreateAutoMLJobV2", **v2_job(name, problem_config, **extra))
    assert_valid("CreateAutoMLJobV2", parsed, raw)
    parsed, raw = call("DescribeAutoMLJobV2", AutoMLJobName=name)
    assert_valid("DescribeAutoMLJobV2", parsed, raw)
    parsed, raw = call("ListCandidatesForAutoMLJob", AutoMLJobName=name, MaxResults=300)
    assert_valid("ListCandidatesForAutoMLJob", parsed, raw)


def test_created_v1_job_matches_the_shapes(call: Call) -> None:
    name = unique_name("shape-v1")
    request = v1_job(
        name,
        ProblemType="MulticlassClassification",
        AutoMLJobObjective={"MetricName": "Accuracy"},
        AutoMLJobConfig={
            "CompletionCriteria": {"MaxCandidates": 12},
            "SecurityConfig": {"EnableInterContainerTrafficEncryption": True},
            "DataSplitConfig": {"ValidationFraction": 0.25},
            "Mode": "ENSEMBLING",
        },
        ModelDeployConfig={"EndpointName": "shape-v1-endpoint"},
        Tags=[{"Key": "team", "Value": "tests"}],
    )
    parsed, raw = call("CreateAutoMLJob", **request)
    assert_valid("CreateAutoMLJob", parsed, raw)
    for operation in ("DescribeAutoMLJob", "DescribeAutoMLJobV2"):
        parsed, raw = call(operation, AutoMLJobName=name)
        assert_valid(operation, parsed, raw)
    assert parsed["ModelDeployResult"] == {"EndpointName": "shape-v1-endpoint"}


def test_jobs_in_every_status_match_the_shapes(call: Call, server: LocalSageMaker) -> None:
    name = unique_name("shape-status")
    call(
        "CreateAutoMLJob",
        **v1_job(name, AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 25}}),
    )
    for status in ("InProgress", "Stopping", "Stopped", "Failed", "Completed"):
        server.autopilot.set_job_status(name, status)
        for operation in ("DescribeAutoMLJob", "DescribeAutoMLJobV2"):
            parsed, raw = call(operation, AutoMLJobName=name)
            assert_valid(operation, parsed, raw)
            assert parsed["AutoMLJobStatus"] == status
        parsed, raw = call("ListCandidatesForAutoMLJob", AutoMLJobName=name, MaxResults=300)
        assert_valid("ListCandidatesForAutoMLJob", parsed, raw)


def test_every_candidate_member_appears_in_the_seed(server: LocalSageMaker) -> None:
    shape = output_shape("ListCandidatesForAutoMLJob").members["Candidates"].member
    seen: set[str] = set()
    for name in DEMO_JOB_NAMES:
        for candidate in server.autopilot.candidates(name):
            seen |= present_paths(shape, candidate)
    assert member_paths(shape) - seen == set()
    assert "InferenceContainerDefinitions{GPU}[].Environment{*}" in seen
    assert "CandidateProperties.CandidateArtifactLocations.BacktestResults" in seen
