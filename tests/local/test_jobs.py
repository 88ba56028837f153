"""Creating, describing, listing and stopping AutoML jobs (V1 and V2) over HTTP."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gateway.local import DEMO_JOB_NAMES, DEMO_JOB_STATUSES, LocalSageMaker
from tests.local.builders import (
    FORECASTING,
    IMAGE_CLASSIFICATION,
    TEXT_CLASSIFICATION,
    tabular,
    unique_name,
    v1_job,
    v2_job,
    walk_candidates,
)
from tests.local.conftest import make_client


def error_of(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**params)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def best_by_objective(candidates: list[dict[str, Any]]) -> dict[str, Any]:
    scored = [c for c in candidates if "FinalAutoMLJobObjectiveMetric" in c]
    minimize = scored[0]["FinalAutoMLJobObjectiveMetric"]["Type"] == "Minimize"
    values = [c["FinalAutoMLJobObjectiveMetric"]["Value"] for c in scored]
    target = min(values) if minimize else max(values)
    return next(c for c in scored if c["FinalAutoMLJobObjectiveMetric"]["Value"] == target)


def test_max_candidates_is_respected(sagemaker: Any) -> None:
    name = unique_name("seven")
    sagemaker.create_auto_ml_job(
        **v1_job(name, AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 7}})
    )
    assert len(walk_candidates(sagemaker, name, MaxResults=300)) == 7
    name = unique_name("seven-v2")
    sagemaker.create_auto_ml_job_v2(**v2_job(name, tabular(7)))
    assert len(walk_candidates(sagemaker, name, MaxResults=300)) == 7


def test_max_candidates_defaults_to_250_for_tabular_and_1_otherwise(sagemaker: Any) -> None:
    name = unique_name("default-count")
    sagemaker.create_auto_ml_job(**v1_job(name))
    assert len(walk_candidates(sagemaker, name, MaxResults=300)) == 250
    resolved = sagemaker.describe_auto_ml_job(AutoMLJobName=name)["ResolvedAttributes"]
    assert resolved["CompletionCriteria"]["MaxCandidates"] == 250
    for config in (TEXT_CLASSIFICATION, IMAGE_CLASSIFICATION, FORECASTING):
        name = unique_name("default-one")
        sagemaker.create_auto_ml_job_v2(**v2_job(name, config))
        assert len(walk_candidates(sagemaker, name)) == 1


def test_non_tabular_jobs_accept_only_one_candidate(sagemaker: Any) -> None:
    config = {
        "TextClassificationJobConfig": {
            **TEXT_CLASSIFICATION["TextClassificationJobConfig"],
            "CompletionCriteria": {"MaxCandidates": 5},
        }
    }
    code, message = error_of(
        sagemaker.create_auto_ml_job_v2, **v2_job(unique_name("text-five"), config)
    )
    assert code == "ValidationException" and "only supported value" in message


def test_a_new_job_is_completed_with_a_consistent_timeline(sagemaker: Any) -> None:
    before = datetime.now(UTC) - timedelta(seconds=2)
    name = unique_name("timeline")
    arn = sagemaker.create_auto_ml_job(
        **v1_job(name, AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 30}})
    )["AutoMLJobArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:automl-job/{name}"
    job = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=name)
    assert job["AutoMLJobStatus"] == "Completed" and job["AutoMLJobSecondaryStatus"] == "Completed"
    assert before <= job["CreationTime"] <= datetime.now(UTC) + timedelta(seconds=2)
    candidates = walk_candidates(sagemaker, name, MaxResults=300)
    for c in candidates:
        assert job["CreationTime"] < c["CreationTime"] <= c["EndTime"] <= c["LastModifiedTime"]
        assert c["LastModifiedTime"] <= job["EndTime"] == job["LastModifiedTime"]
    assert len({c["CreationTime"] for c in candidates}) > len(candidates) // 2


def test_completed_jobs_mix_candidate_outcomes(sagemaker: Any) -> None:
    candidates = walk_candidates(sagemaker, "customer-churn-xgb", MaxResults=300)
    statuses = Counter(c["CandidateStatus"] for c in candidates)
    assert set(statuses) == {"Completed", "Failed", "Stopped"}
    assert statuses["Completed"] > len(candidates) * 0.7
    for c in candidates:
        assert "EndTime" in c
        if c["CandidateStatus"] == "Failed":
            assert c["ObjectiveStatus"] == "Failed" and c["FailureReason"]
            assert "FinalAutoMLJobObjectiveMetric" not in c
        else:
            assert c["ObjectiveStatus"] == "Succeeded"
            assert c["FinalAutoMLJobObjectiveMetric"]["MetricName"] == "F1"


def test_in_progress_jobs_have_running_candidates(sagemaker: Any) -> None:
    job = sagemaker.describe_auto_ml_job_v2(AutoMLJobName="fraud-detection-auc")
    assert job["AutoMLJobStatus"] == "InProgress" and "EndTime" not in job
    candidates = walk_candidates(sagemaker, "fraud-detection-auc", MaxResults=300)
    assert len(candidates) < 120, "a running job has not created all its candidates yet"
    running = [c for c in candidates if c["CandidateStatus"] in {"InProgress", "Stopping"}]
    assert running and any(c["CandidateStatus"] == "Completed" for c in candidates)
    for c in running:
        assert c["ObjectiveStatus"] == "Pending"
        assert "EndTime" not in c and "FinalAutoMLJobObjectiveMetric" not in c
        assert c["LastModifiedTime"] <= job["LastModifiedTime"]


def test_best_candidate_is_the_best_by_the_objective(sagemaker: Any) -> None:
    for name in DEMO_JOB_NAMES:
        job = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=name)
        candidates = walk_candidates(sagemaker, name, MaxResults=300)
        assert job["BestCandidate"] == best_by_objective(candidates), name
    regression = sagemaker.describe_auto_ml_job_v2(AutoMLJobName="house-prices-regression")
    assert regression["BestCandidate"]["FinalAutoMLJobObjectiveMetric"]["Type"] == "Minimize"


def test_no_best_candidate_without_a_final_metric(sagemaker: Any, server: LocalSageMaker) -> None:
    name = unique_name("no-best")
    sagemaker.create_auto_ml_job_v2(**v2_job(name, TEXT_CLASSIFICATION))
    server.autopilot.set_job_status(name, "InProgress")
    job = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=name)
    assert "BestCandidate" not in job
    (candidate,) = walk_candidates(sagemaker, name)
    assert candidate["CandidateStatus"] == "InProgress"


def test_problem_types_drive_the_metrics(sagemaker: Any) -> None:
    cases = {
        "customer-churn-xgb": (
            "F1",
            "Maximize",
            {"AUC", "Accuracy", "Precision", "Recall", "LogLoss"},
        ),
        "support-ticket-priority": ("F1macro", "Maximize", {"Accuracy", "RecallMacro", "LogLoss"}),
        "house-prices-regression": ("RMSE", "Minimize", {"MSE", "MAE", "R2"}),
        "demand-forecast-weekly": (
            "AverageWeightedQuantileLoss",
            "Minimize",
            {"MAPE", "WAPE", "MASE", "RMSE"},
        ),
        "support-ticket-routing": ("Accuracy", "Maximize", {"F1macro"}),
    }
    for name, (objective, kind, metrics) in cases.items():
        best = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=name)["BestCandidate"]
        final = best["FinalAutoMLJobObjectiveMetric"]
        assert (final["MetricName"], final["StandardMetricName"], final["Type"]) == (
            objective,
            objective,
            kind,
        )
        data = best["CandidateProperties"]["CandidateMetrics"]
        assert metrics <= {d["StandardMetricName"] for d in data}
        assert {d["Set"] for d in data} == {"Train", "Validation", "Test"}
        validation = [
            d for d in data if d.get("MetricName") == objective and d["Set"] == "Validation"
        ]
        assert [d["Value"] for d in validation] == [final["Value"]]
        for datum in data:
            if datum["StandardMetricName"] in {"LogLoss", "InferenceLatency"}:
                assert "MetricName" not in datum
            if datum["StandardMetricName"] in {"Accuracy", "AUC", "F1", "F1macro", "R2"}:
                assert 0 <= datum["Value"] <= 1


def test_classification_candidates_decode_labels(sagemaker: Any) -> None:
    best = sagemaker.describe_auto_ml_job(AutoMLJobName="customer-churn-xgb")["BestCandidate"]
    containers = best["InferenceContainers"]
    assert len(containers) == 3
    assert "sagemaker-sklearn-automl" in containers[0]["Image"]
    assert "sagemaker-xgboost" in containers[1]["Image"]  # the job only allows xgboost
    assert containers[2]["Environment"]["AUTOML_TRANSFORM_MODE"] == "inverse-label-transform"
    assert all(".dkr.ecr.us-east-1.amazonaws.com/" in c["Image"] for c in containers)
    regression = sagemaker.describe_auto_ml_job(AutoMLJobName="house-prices-regression")
    assert len(regression["BestCandidate"]["InferenceContainers"]) == 2
    kinds = {s["CandidateStepType"] for s in best["CandidateSteps"]}
    assert kinds == {
        "AWS::SageMaker::ProcessingJob",
        "AWS::SageMaker::TrainingJob",
        "AWS::SageMaker::TransformJob",
    }


def test_text_and_image_candidates_have_cpu_and_gpu_containers(sagemaker: Any) -> None:
    for name in ("support-ticket-routing", "product-image-classifier"):
        (candidate,) = walk_candidates(sagemaker, name)
        definitions = candidate["InferenceContainerDefinitions"]
        assert set(definitions) == {"CPU", "GPU"}
        assert (
            "-gpu-" in definitions["GPU"][0]["Image"] and "-cpu-" in definitions["CPU"][0]["Image"]
        )
    for name in ("customer-churn-xgb", "demand-forecast-weekly"):
        assert all(
            "InferenceContainerDefinitions" not in c
            for c in walk_candidates(sagemaker, name, MaxResults=300)
        )


def test_forecasting_candidates_have_backtest_results(sagemaker: Any) -> None:
    (candidate,) = walk_candidates(sagemaker, "demand-forecast-weekly")
    locations = candidate["CandidateProperties"]["CandidateArtifactLocations"]
    assert locations["BacktestResults"].startswith("s3://")
    assert (
        "BacktestResults"
        not in sagemaker.describe_auto_ml_job(AutoMLJobName="customer-churn-xgb")["BestCandidate"][
            "CandidateProperties"
        ]["CandidateArtifactLocations"]
    )


def test_v1_jobs_are_visible_through_v2_and_the_job_list(sagemaker: Any) -> None:
    name = unique_name("v1-visible")
    request = v1_job(
        name,
        ProblemType="Regression",
        AutoMLJobObjective={"MetricName": "MAE"},
        AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 9}, "Mode": "ENSEMBLING"},
    )
    sagemaker.create_auto_ml_job(**request)
    v2 = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=name)
    assert v2["AutoMLProblemTypeConfigName"] == "Tabular"
    assert v2["AutoMLProblemTypeConfig"]["TabularJobConfig"] == {
        "CompletionCriteria": {"MaxCandidates": 9},
        "Mode": "ENSEMBLING",
        "ProblemType": "Regression",
        "TargetAttributeName": "label",
    }
    assert v2["AutoMLJobInputDataConfig"] == [
        {"DataSource": request["InputDataConfig"][0]["DataSource"]}
    ]
    assert v2["ResolvedAttributes"]["AutoMLProblemTypeResolvedAttributes"] == {
        "TabularResolvedAttributes": {"ProblemType": "Regression"}
    }
    listed = sagemaker.list_auto_ml_jobs(NameContains=name)["AutoMLJobSummaries"]
    assert [s["AutoMLJobName"] for s in listed] == [name]


def test_v2_tabular_jobs_are_visible_through_v1(sagemaker: Any) -> None:
    name = unique_name("v2-visible")
    sagemaker.create_auto_ml_job_v2(
        **v2_job(
            name,
            tabular(6, ProblemType="BinaryClassification"),
            AutoMLJobObjective={"MetricName": "AUC"},
        )
    )
    v1 = sagemaker.describe_auto_ml_job(AutoMLJobName=name)
    assert v1["InputDataConfig"][0]["TargetAttributeName"] == "label"
    assert v1["AutoMLJobConfig"] == {"CompletionCriteria": {"MaxCandidates": 6}}
    assert v1["ResolvedAttributes"]["ProblemType"] == "BinaryClassification"
    assert v1["BestCandidate"]["FinalAutoMLJobObjectiveMetric"]["MetricName"] == "AUC"


def test_v2_jobs_of_other_problem_types_cannot_be_described_with_v1(sagemaker: Any) -> None:
    code, message = error_of(sagemaker.describe_auto_ml_job, AutoMLJobName="support-ticket-routing")
    assert code == "ValidationException" and "DescribeAutoMLJobV2" in message


def test_names_are_unique_across_v1_and_v2(sagemaker: Any) -> None:
    name = unique_name("dup")
    sagemaker.create_auto_ml_job(
        **v1_job(name, AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 2}})
    )
    for create, request in (
        (sagemaker.create_auto_ml_job, v1_job(name)),
        (sagemaker.create_auto_ml_job_v2, v2_job(name, tabular(2))),
    ):
        code, message = error_of(create, **request)
        assert code == "ResourceInUse" and name in message
    code, _ = error_of(sagemaker.create_auto_ml_job_v2, **v2_job("customer-churn-xgb", FORECASTING))
    assert code == "ResourceInUse"


def test_create_requests_are_validated(unchecked: Any) -> None:
    request = v1_job("bad name!", RoleArn="arn:aws:iam::1:role")
    del request["OutputDataConfig"]
    code, message = error_of(unchecked.create_auto_ml_job, **request)
    assert code == "ValidationException"
    assert message.startswith("4 validation errors detected")
    assert (
        "Value null at 'outputDataConfig' failed to satisfy constraint: Member must not be null"
        in message
    )
    assert (
        "at 'autoMLJobName' failed to satisfy constraint: Member must satisfy regular expression"
        in message
    )
    assert (
        "at 'roleArn' failed to satisfy constraint: Member must have length greater than or "
        "equal to 20" in message
    )
    code, message = error_of(
        unchecked.create_auto_ml_job_v2,
        **v2_job(unique_name("two-configs"), {**TEXT_CLASSIFICATION, **FORECASTING}),
    )
    assert code == "ValidationException" and "exactly one" in message


def test_objectives_must_suit_the_problem_type(sagemaker: Any) -> None:
    request = v1_job(
        unique_name("bad-objective"),
        ProblemType="Regression",
        AutoMLJobObjective={"MetricName": "F1"},
    )
    code, message = error_of(sagemaker.create_auto_ml_job, **request)
    assert code == "ValidationException" and "F1" in message
    half = v2_job(unique_name("half-spec"), tabular(3, ProblemType="Regression"))
    assert error_of(sagemaker.create_auto_ml_job_v2, **half)[0] == "ValidationException"


def test_stopping_a_running_job(sagemaker: Any, server: LocalSageMaker) -> None:
    name = unique_name("stop-me")
    sagemaker.create_auto_ml_job(
        **v1_job(name, AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 40}})
    )
    server.autopilot.set_job_status(name, "InProgress")
    running = {c["CandidateName"]: c for c in walk_candidates(sagemaker, name, MaxResults=300)}
    assert any(c["CandidateStatus"] == "InProgress" for c in running.values())
    sagemaker.stop_auto_ml_job(AutoMLJobName=name)
    job = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=name)
    assert (job["AutoMLJobStatus"], job["AutoMLJobSecondaryStatus"]) == ("Stopped", "Stopped")
    stopped = {c["CandidateName"]: c for c in walk_candidates(sagemaker, name, MaxResults=300)}
    assert stopped.keys() == running.keys()
    for candidate_name, before in running.items():
        after = stopped[candidate_name]
        if before["CandidateStatus"] in {"InProgress", "Stopping"}:
            assert after["CandidateStatus"] == "Stopped" and after["EndTime"] <= job["EndTime"]
            assert "FinalAutoMLJobObjectiveMetric" not in after
        else:
            assert after == before
    code, message = error_of(sagemaker.stop_auto_ml_job, AutoMLJobName=name)
    assert code == "ValidationException" and "Stopped" in message
    assert (
        error_of(sagemaker.stop_auto_ml_job, AutoMLJobName="never-created")[0] == "ResourceNotFound"
    )


def test_failed_jobs_explain_themselves(sagemaker: Any, server: LocalSageMaker) -> None:
    job = sagemaker.describe_auto_ml_job(AutoMLJobName="house-prices-regression")
    assert job["AutoMLJobStatus"] == "Failed" and job["FailureReason"].startswith("CapacityError")
    name = unique_name("fail-me")
    sagemaker.create_auto_ml_job(
        **v1_job(name, AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 30}})
    )
    server.autopilot.set_job_status(name, "Failed", "ClientError: the target column is empty")
    listed = sagemaker.list_auto_ml_jobs(NameContains=name, StatusEquals="Failed")[
        "AutoMLJobSummaries"
    ]
    assert [(s["AutoMLJobName"], s["FailureReason"]) for s in listed] == [
        (name, "ClientError: the target column is empty")
    ]
    server.autopilot.set_job_status(name, "Completed")
    assert "FailureReason" not in sagemaker.describe_auto_ml_job(AutoMLJobName=name)


def test_list_jobs_defaults_to_name_descending_and_filters(sagemaker: Any) -> None:
    everything = [
        s
        for page in sagemaker.get_paginator("list_auto_ml_jobs").paginate(
            PaginationConfig={"PageSize": 4}
        )
        for s in page["AutoMLJobSummaries"]
    ]
    names = [s["AutoMLJobName"] for s in everything]
    assert names == sorted(names, reverse=True) and len(names) == len(set(names))
    assert set(DEMO_JOB_NAMES) <= set(names)
    first = sagemaker.list_auto_ml_jobs()
    assert len(first["AutoMLJobSummaries"]) == 10 and "NextToken" in first
    for status in ("InProgress", "Stopping"):
        listed = sagemaker.list_auto_ml_jobs(StatusEquals=status, NameContains="-")[
            "AutoMLJobSummaries"
        ]
        expected = [n for n, s in DEMO_JOB_STATUSES.items() if s == status]
        assert [
            s["AutoMLJobName"] for s in listed if s["AutoMLJobName"] in DEMO_JOB_STATUSES
        ] == expected
    oldest = sagemaker.list_auto_ml_jobs(SortBy="CreationTime", SortOrder="Ascending", MaxResults=1)
    assert oldest["AutoMLJobSummaries"][0]["AutoMLJobName"] == "customer-churn-xgb"
    cutoff = sagemaker.describe_auto_ml_job_v2(AutoMLJobName="support-ticket-routing")[
        "CreationTime"
    ]
    recent = sagemaker.list_auto_ml_jobs(
        CreationTimeAfter=cutoff, NameContains="PRODUCT", MaxResults=100
    )
    assert [s["AutoMLJobName"] for s in recent["AutoMLJobSummaries"]] == [
        "product-image-classifier"
    ]


def test_regions_and_accounts_are_separate(server: LocalSageMaker) -> None:
    west = make_client(server, region="us-west-2")
    assert west.list_auto_ml_jobs()["AutoMLJobSummaries"] == []
    name = unique_name("west")
    arn = west.create_auto_ml_job(
        **v1_job(name, AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 3}})
    )["AutoMLJobArn"]
    assert arn.startswith("arn:aws:sagemaker:us-west-2:123456789012:automl-job/")
    (candidate,) = walk_candidates(
        west,
        name,
        MaxResults=1,
        CandidateNameEquals=walk_candidates(west, name)[0]["CandidateName"],
    )
    assert all(":us-west-2:" in s["CandidateStepArn"] for s in candidate["CandidateSteps"])
    assert all(".us-west-2.amazonaws.com/" in c["Image"] for c in candidate["InferenceContainers"])
    with pytest.raises(ClientError):
        make_client(server).describe_auto_ml_job_v2(AutoMLJobName=name)


def test_candidate_definitions_only_jobs_train_nothing(sagemaker: Any) -> None:
    name = unique_name("definitions-only")
    sagemaker.create_auto_ml_job(**v1_job(name, GenerateCandidateDefinitionsOnly=True))
    job = sagemaker.describe_auto_ml_job(AutoMLJobName=name)
    assert job["AutoMLJobSecondaryStatus"] == "CandidateDefinitionsGenerated"
    assert job["GenerateCandidateDefinitionsOnly"] is True
    assert "BestCandidate" not in job and "AutoMLJobArtifacts" in job
    assert sagemaker.list_candidates_for_auto_ml_job(AutoMLJobName=name)["Candidates"] == []


@pytest.mark.parametrize("job_name", DEMO_JOB_NAMES)
def test_demo_job_timelines_are_consistent(sagemaker: Any, job_name: str) -> None:
    job = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=job_name)
    finished = job["AutoMLJobStatus"] in {"Completed", "Failed", "Stopped"}
    assert ("EndTime" in job) == finished
    for c in walk_candidates(sagemaker, job_name, MaxResults=300):
        assert job["CreationTime"] < c["CreationTime"] <= c["LastModifiedTime"]
        assert c["LastModifiedTime"] <= job["LastModifiedTime"]
        if finished:
            assert c["CandidateStatus"] in {"Completed", "Failed", "Stopped"} and "EndTime" in c
        if "EndTime" in c:
            assert c["CreationTime"] <= c["EndTime"] <= c["LastModifiedTime"]


def test_list_jobs_tokens_are_bound_to_their_query(sagemaker: Any) -> None:
    token = sagemaker.list_auto_ml_jobs(MaxResults=2)["NextToken"]
    assert (
        len(sagemaker.list_auto_ml_jobs(MaxResults=2, NextToken=token)["AutoMLJobSummaries"]) == 2
    )
    code, message = error_of(sagemaker.list_auto_ml_jobs, SortOrder="Ascending", NextToken=token)
    assert code == "ValidationException" and "Invalid pagination token" in message


def test_text_generation_is_refused_rather_than_faked(sagemaker: Any) -> None:
    request = v2_job(unique_name("llm"), {"TextGenerationJobConfig": {"BaseModelName": "Falcon7B"}})
    code, message = error_of(sagemaker.create_auto_ml_job_v2, **request)
    assert code == "ValidationException" and "TextGeneration" in message


def test_the_churn_rerun_repeats_the_job_later_with_fewer_candidates(sagemaker: Any) -> None:
    first = sagemaker.describe_auto_ml_job(AutoMLJobName="customer-churn-xgb")
    rerun = sagemaker.describe_auto_ml_job(AutoMLJobName="customer-churn-xgb-rerun")
    for member in ("InputDataConfig", "OutputDataConfig", "RoleArn", "AutoMLJobObjective"):
        assert rerun[member] == first[member], member
    assert rerun["ResolvedAttributes"]["ProblemType"] == first["ProblemType"]
    assert rerun["AutoMLJobStatus"] == "Completed"
    assert rerun["CreationTime"] > first["EndTime"]
    assert rerun["ResolvedAttributes"]["CompletionCriteria"]["MaxCandidates"] == 60
    assert "ModelDeployResult" not in rerun
    candidates = walk_candidates(sagemaker, "customer-churn-xgb-rerun", MaxResults=100)
    assert len(candidates) == 60
    names = {c["CandidateName"] for c in candidates}
    assert names.isdisjoint(
        c["CandidateName"] for c in walk_candidates(sagemaker, "customer-churn-xgb", MaxResults=100)
    )
    assert all(name.startswith("customer-churn-xgb-r-") for name in names)
