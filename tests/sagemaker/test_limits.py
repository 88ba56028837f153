"""The gateway's own input checks mirror botocore's service model for SageMaker."""

from __future__ import annotations

import re

import pytest

from gateway.errors import BadUserInput
from gateway.sagemaker import candidates
from gateway.sagemaker.candidates import CandidateQuery, check_job_name
from gateway.sagemaker.cursors import MAX_UPSTREAM_PAGE_SIZE, MAX_UPSTREAM_TOKEN_LENGTH
from tests.aws_shapes import sagemaker_model, shape


def test_limits_match_the_service_model() -> None:
    request = sagemaker_model().operation_model("ListCandidatesForAutoMLJob").input_shape
    job_name = request.members["AutoMLJobName"].metadata
    assert candidates.JOB_NAME_PATTERN.pattern == job_name["pattern"]
    assert job_name["max"] == candidates.JOB_NAME_MAX_LENGTH
    assert shape("CandidateName").metadata["max"] == candidates.CANDIDATE_NAME_MAX_LENGTH
    assert request.members["MaxResults"].metadata["max"] == candidates.MAX_CANDIDATES_PER_CALL
    assert request.members["MaxResults"].metadata["max"] == MAX_UPSTREAM_PAGE_SIZE
    assert request.members["NextToken"].metadata["max"] == MAX_UPSTREAM_TOKEN_LENGTH


@pytest.mark.parametrize("name", ["a", "a-b", "a--b", "A1", "x" * 32, "customer-churn-xgb"])
def test_valid_job_names(name: str) -> None:
    assert re.fullmatch(shape("AutoMLJobName").metadata["pattern"], name)
    check_job_name(name)


@pytest.mark.parametrize("name", ["", "-a", "a-", "a_b", "a b", "x" * 33, "ä"])
def test_invalid_job_names(name: str) -> None:
    with pytest.raises(BadUserInput):
        check_job_name(name)
    with pytest.raises(BadUserInput):
        CandidateQuery(job_name=name)


def test_request_sends_only_what_was_asked() -> None:
    query = CandidateQuery(job_name="churn", sort_by="Status")
    assert query.request(None, 10) == {
        "AutoMLJobName": "churn",
        "MaxResults": 10,
        "SortBy": "Status",
    }
    assert query.request("tok", 5)["NextToken"] == "tok"
