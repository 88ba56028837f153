"""ListCandidatesForAutoMLJob: filters, total ordering, pagination and request validation."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gateway.local import LocalSageMaker
from tests.local.builders import walk_candidates
from tests.local.conftest import make_client

SORTS = ["CreationTime", "Status", "FinalObjectiveMetricValue"]
ORDERS = ["Ascending", "Descending"]
MIXED_JOB = "house-prices-baseline"  # 20 candidates: Completed, Stopped, Failed and Stopping
BIG_JOB = "customer-churn-xgb"  # 250 candidates, with CreationTime ties


def _tie_break(c: dict[str, Any]) -> tuple[Any, ...]:
    return (c["CreationTime"], c["CandidateName"])


def assert_ordered(candidates: list[dict[str, Any]], sort_by: str, order: str) -> None:
    """Each neighbour pair follows the documented total order."""
    descending = order == "Descending"
    for a, b in itertools.pairwise(candidates):
        if sort_by == "FinalObjectiveMetricValue":
            a_scored = "FinalAutoMLJobObjectiveMetric" in a
            b_scored = "FinalAutoMLJobObjectiveMetric" in b
            assert a_scored or not b_scored, "unscored candidates must come last"
            if a_scored != b_scored:
                continue
            key_a: tuple[Any, ...] = _tie_break(a)
            key_b: tuple[Any, ...] = _tie_break(b)
            if a_scored:
                key_a = (a["FinalAutoMLJobObjectiveMetric"]["Value"], *key_a)
                key_b = (b["FinalAutoMLJobObjectiveMetric"]["Value"], *key_b)
        elif sort_by == "Status":
            key_a, key_b = (
                (a["CandidateStatus"], *_tie_break(a)),
                (b["CandidateStatus"], *_tie_break(b)),
            )
        else:
            key_a, key_b = _tie_break(a), _tie_break(b)
        assert (key_a > key_b) if descending else (key_a < key_b), (key_a, key_b)


def _filters(server: LocalSageMaker, job: str) -> list[dict[str, str]]:
    some_name = server.autopilot.candidates(job)[3]["CandidateName"]
    return [{}, {"StatusEquals": "Completed"}, {"CandidateNameEquals": some_name}]


@pytest.mark.parametrize("sort_by", SORTS)
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(("job", "page_sizes"), [(MIXED_JOB, [1, 7, 300]), (BIG_JOB, [7, 300])])
def test_walking_pages_yields_every_candidate_once_in_order(
    sagemaker: Any,
    server: LocalSageMaker,
    job: str,
    page_sizes: list[int],
    sort_by: str,
    order: str,
) -> None:
    everything = server.autopilot.candidates(job)
    for filters in _filters(server, job):
        expected = {
            c["CandidateName"]
            for c in everything
            if all(
                c[{"StatusEquals": "CandidateStatus", "CandidateNameEquals": "CandidateName"}[k]]
                == v
                for k, v in filters.items()
            )
        }
        assert expected, filters
        listings = []
        for size in page_sizes:
            walked = walk_candidates(
                sagemaker, job, SortBy=sort_by, SortOrder=order, MaxResults=size, **filters
            )
            names = [c["CandidateName"] for c in walked]
            assert len(names) == len(set(names)), "a candidate was listed twice"
            assert set(names) == expected
            assert_ordered(walked, sort_by, order)
            listings.append(names)
        assert all(listing == listings[0] for listing in listings), "page size changed the order"


def test_the_big_job_has_creation_time_ties_so_tie_breaks_matter(server: LocalSageMaker) -> None:
    times = Counter(c["CreationTime"] for c in server.autopilot.candidates(BIG_JOB))
    assert max(times.values()) > 1


def test_defaults_are_ten_candidates_by_creation_time_ascending(
    sagemaker: Any, server: LocalSageMaker
) -> None:
    page = sagemaker.list_candidates_for_auto_ml_job(AutoMLJobName=BIG_JOB)
    assert len(page["Candidates"]) == 10
    assert "NextToken" in page
    explicit = sagemaker.list_candidates_for_auto_ml_job(
        AutoMLJobName=BIG_JOB, SortBy="CreationTime", SortOrder="Ascending", MaxResults=10
    )
    assert page["Candidates"] == explicit["Candidates"]
    assert_ordered(page["Candidates"], "CreationTime", "Ascending")


def test_metric_sort_puts_candidates_without_a_final_metric_last(sagemaker: Any) -> None:
    for order in ORDERS:
        listed = walk_candidates(
            sagemaker,
            MIXED_JOB,
            SortBy="FinalObjectiveMetricValue",
            SortOrder=order,
            MaxResults=300,
        )
        scored = ["FinalAutoMLJobObjectiveMetric" in c for c in listed]
        assert True in scored and False in scored, "precondition: the job has both kinds"
        assert scored == sorted(scored, reverse=True)
        values = [
            c["FinalAutoMLJobObjectiveMetric"]["Value"]
            for c in listed
            if "FinalAutoMLJobObjectiveMetric" in c
        ]
        assert values == sorted(values, reverse=order == "Descending")


def test_no_token_when_the_last_page_is_exactly_full(sagemaker: Any) -> None:
    first = sagemaker.list_candidates_for_auto_ml_job(AutoMLJobName=MIXED_JOB, MaxResults=10)
    assert len(first["Candidates"]) == 10
    second = sagemaker.list_candidates_for_auto_ml_job(
        AutoMLJobName=MIXED_JOB, MaxResults=10, NextToken=first["NextToken"]
    )
    assert len(second["Candidates"]) == 10
    assert "NextToken" not in second
    whole = sagemaker.list_candidates_for_auto_ml_job(AutoMLJobName=MIXED_JOB, MaxResults=20)
    assert len(whole["Candidates"]) == 20 and "NextToken" not in whole


def test_a_filter_that_matches_nothing_gives_an_empty_page(sagemaker: Any) -> None:
    page = sagemaker.list_candidates_for_auto_ml_job(
        AutoMLJobName=BIG_JOB, StatusEquals="InProgress"
    )
    assert page["Candidates"] == []
    assert "NextToken" not in page


def test_tokens_are_opaque(sagemaker: Any) -> None:
    token = sagemaker.list_candidates_for_auto_ml_job(AutoMLJobName=BIG_JOB, MaxResults=7)[
        "NextToken"
    ]
    assert not token.isdigit()
    assert BIG_JOB not in token and token != "7"


def _error(client: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        client.list_candidates_for_auto_ml_job(**params)
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"MaxResults": 0},
            "1 validation error detected: Value '0' at 'maxResults' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1",
        ),
        (
            {"MaxResults": 301},
            "1 validation error detected: Value '301' at 'maxResults' failed to satisfy "
            "constraint: Member must have value less than or equal to 300",
        ),
        (
            {"AutoMLJobName": "customer_churn"},
            "1 validation error detected: Value 'customer_churn' at 'autoMLJobName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}",
        ),
        (
            {"SortBy": "Name"},
            "1 validation error detected: Value 'Name' at 'sortBy' failed to satisfy constraint: "
            "Member must satisfy enum value set: [CreationTime, Status, FinalObjectiveMetricValue]",
        ),
        (
            {"StatusEquals": "Done"},
            "1 validation error detected: Value 'Done' at 'statusEquals' failed to satisfy "
            "constraint: Member must satisfy enum value set: "
            "[Completed, InProgress, Failed, Stopped, Stopping]",
        ),
        (
            {"SortOrder": "Up"},
            "1 validation error detected: Value 'Up' at 'sortOrder' failed to satisfy "
            "constraint: Member must satisfy enum value set: [Ascending, Descending]",
        ),
        (
            {"CandidateNameEquals": ""},
            "1 validation error detected: Value '' at 'candidateNameEquals' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1",
        ),
    ],
    ids=["max-0", "max-301", "name-pattern", "sort-by", "status", "sort-order", "empty-name"],
)
def test_invalid_requests_are_rejected_like_aws(
    unchecked: Any, params: dict[str, Any], message: str
) -> None:
    code, text = _error(unchecked, **{"AutoMLJobName": BIG_JOB, **params})
    assert (code, text) == ("ValidationException", message)


def test_all_violations_are_reported_together(unchecked: Any) -> None:
    code, message = _error(unchecked, AutoMLJobName="x" * 33, MaxResults=0)
    assert code == "ValidationException"
    assert message.startswith("3 validation errors detected: ")
    assert "Member must have length less than or equal to 32" in message
    assert "Member must satisfy regular expression pattern" in message
    assert "Member must have value greater than or equal to 1" in message


def test_missing_job_name_is_a_validation_error(unchecked: Any) -> None:
    code, message = _error(unchecked)
    assert code == "ValidationException"
    assert (
        "Value null at 'autoMLJobName' failed to satisfy constraint: Member must not be null"
        in message
    )


def test_an_unknown_job_is_resource_not_found(sagemaker: Any, unchecked: Any) -> None:
    assert _error(sagemaker, AutoMLJobName="no-such-job") == (
        "ResourceNotFound",
        "Could not find AutoML job with name no-such-job.",
    )
    # Validation comes first, as on AWS.
    assert _error(unchecked, AutoMLJobName="no-such-job", MaxResults=0)[0] == "ValidationException"


def _first_token(client: Any, **params: Any) -> str:
    token: str = client.list_candidates_for_auto_ml_job(MaxResults=5, **params)["NextToken"]
    return token


@pytest.mark.parametrize(
    "other_request",
    [
        {"AutoMLJobName": "fraud-detection-auc"},
        {"AutoMLJobName": BIG_JOB, "SortOrder": "Descending"},
        {"AutoMLJobName": BIG_JOB, "SortBy": "Status"},
        {"AutoMLJobName": BIG_JOB, "StatusEquals": "Completed"},
    ],
    ids=["other-job", "other-order", "other-sort", "other-filter"],
)
def test_a_token_only_works_for_the_request_that_produced_it(
    sagemaker: Any, other_request: dict[str, Any]
) -> None:
    token = _first_token(sagemaker, AutoMLJobName=BIG_JOB)
    code, message = _error(sagemaker, NextToken=token, **other_request)
    assert code == "ValidationException"
    assert "Invalid pagination token" in message
    # ...while the request it came from may change only its page size.
    page = sagemaker.list_candidates_for_auto_ml_job(
        AutoMLJobName=BIG_JOB, NextToken=token, MaxResults=3
    )
    assert len(page["Candidates"]) == 3


def test_tampered_and_garbage_tokens_are_rejected(sagemaker: Any, unchecked: Any) -> None:
    token = _first_token(sagemaker, AutoMLJobName=BIG_JOB)
    body, signature = token.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for bad in [f"{flipped}.{signature}", token + "x", "abc", "5", "not.a.token", "%%%"]:
        code, message = _error(sagemaker, AutoMLJobName=BIG_JOB, NextToken=bad)
        assert (code, "Invalid pagination token" in message) == ("ValidationException", True), bad
    code, message = _error(unchecked, AutoMLJobName=BIG_JOB, NextToken="x" * 8193)
    assert code == "ValidationException"
    assert "Member must have length less than or equal to 8192" in message


def test_a_token_from_another_server_is_rejected(sagemaker: Any) -> None:
    token = _first_token(sagemaker, AutoMLJobName=BIG_JOB)
    with LocalSageMaker() as other:
        code, message = _error(make_client(other), AutoMLJobName=BIG_JOB, NextToken=token)
    assert code == "ValidationException" and "Invalid pagination token" in message
