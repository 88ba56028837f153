"""Candidates' reports in the local S3: where Autopilot puts them, downloadable by presigned URL."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.s3.models import s3_backends

from gateway.local import DEMO_JOB_NAMES, LocalSageMaker
from gateway.local.reports import (
    ARTIFACT_KINDS,
    MAIN_REPORT_KEYS,
    REPORT_FILES,
    main_report_uri,
    split_s3_uri,
)
from tests.local.builders import FORECASTING, unique_name, v1_job, v2_job, walk_candidates


def s3_client(server: LocalSageMaker, region: str = "us-east-1") -> Any:
    """An S3 client like the gateway's: its own credentials, path-style, SigV4."""
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        region_name=region,
        aws_access_key_id="gateway",
        aws_secret_access_key="gateway-secret",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


@pytest.fixture(scope="module")
def s3(server: LocalSageMaker) -> Any:
    return s3_client(server)


def locations(candidate: dict[str, Any]) -> dict[str, str]:
    properties = candidate.get("CandidateProperties", {})
    return dict(properties.get("CandidateArtifactLocations", {}))


def download(s3: Any, uri: str) -> tuple[bytes, str]:
    """The object at ``uri`` through a presigned GET over plain HTTP: its bytes and type."""
    where = split_s3_uri(uri)
    assert where is not None
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": where[0], "Key": where[1]}, ExpiresIn=300
    )
    assert url.startswith(f"{s3.meta.endpoint_url}/{where[0]}/")  # path-style, same endpoint
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), response.headers["Content-Type"]


def assert_valid_pdf(body: bytes) -> None:
    """A PDF every reader opens: header, a cross-reference table that points at each object."""
    assert body.startswith(b"%PDF-1.") and body.rstrip().endswith(b"%%EOF")
    startxref = int(re.findall(rb"startxref\s+(\d+)", body)[-1])
    assert body[startxref:].startswith(b"xref")
    table = re.match(rb"xref\s+0 (\d+)\s+((?:\d{10} \d{5} [nf] ?\r?\n)+)", body[startxref:])
    assert table is not None
    entries = re.findall(rb"(\d{10}) \d{5} ([nf])", table.group(2))
    assert len(entries) == int(table.group(1))
    for number, (offset, kind) in enumerate(entries):
        if kind == b"n":
            assert body[int(offset) :].startswith(b"%d 0 obj" % number)
    (length,) = re.findall(rb"/Length (\d+) >>\nstream\n", body)
    start = body.index(b"stream\n") + len(b"stream\n")
    assert body[start + int(length) :].startswith(b"\nendstream")
    assert re.search(rb"/Root 1 0 R", body) and b"/Type /Page " in body


def test_the_main_report_of_each_location_is_one_of_its_files() -> None:
    assert MAIN_REPORT_KEYS == {
        "Explainability": "analysis.json",
        "ModelInsights": "statistics.json",
        "BacktestResults": "accuracy-metrics-values.csv",
    }
    assert set(REPORT_FILES) == set(ARTIFACT_KINDS)
    for kind, files in REPORT_FILES.items():
        assert MAIN_REPORT_KEYS[kind] == files[0].name
        assert len({f.name for f in files}) == len(files)
    location = "s3://bucket/out/job/documentation/explainability/cand/output/"
    assert main_report_uri(location, "Explainability") == f"{location}analysis.json"
    assert split_s3_uri("s3://bucket/a/b/") == ("bucket", "a/b")
    assert split_s3_uri("https://bucket.s3.amazonaws.com/a") is None


def documentation_keys(s3: Any, sagemaker: Any, job_name: str) -> set[tuple[str, str]]:
    """Every object under the job's documentation prefix, where its reports go."""
    output = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=job_name)["OutputDataConfig"]
    where = split_s3_uri(f"{output['S3OutputPath'].rstrip('/')}/{job_name}/documentation/")
    assert where is not None
    bucket, prefix = where
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/")
    return {(bucket, o["Key"]) for page in pages for o in page.get("Contents", [])}


def expected_keys(candidates: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """The report objects the candidates' artifact locations name."""
    expected = set()
    for candidate in candidates:
        found = locations(candidate)
        for kind, files in REPORT_FILES.items():
            where = split_s3_uri(found[kind]) if kind in found else None
            expected |= {(where[0], f"{where[1]}/{f.name}") for f in files} if where else set()
    return expected


@pytest.mark.parametrize("job_name", DEMO_JOB_NAMES)
def test_every_completed_candidate_has_its_reports_and_no_other(
    sagemaker: Any, s3: Any, job_name: str
) -> None:
    job = sagemaker.describe_auto_ml_job_v2(AutoMLJobName=job_name)
    kinds = {"Explainability", "ModelInsights"}
    if job["AutoMLProblemTypeConfigName"] == "TimeSeriesForecasting":
        kinds.add("BacktestResults")
    candidates = walk_candidates(sagemaker, job_name, MaxResults=100)
    for candidate in candidates:
        found = set(locations(candidate))
        assert found == (kinds if candidate["CandidateStatus"] == "Completed" else set())
    expected = expected_keys(candidates)
    assert documentation_keys(s3, sagemaker, job_name) == expected
    if any(c["CandidateStatus"] == "Completed" for c in candidates):
        assert expected


def test_each_kind_of_report_downloads_by_presigned_url(sagemaker: Any, s3: Any) -> None:
    churn = sagemaker.describe_auto_ml_job_v2(AutoMLJobName="customer-churn-xgb")["BestCandidate"]
    forecast = sagemaker.describe_auto_ml_job_v2(AutoMLJobName="demand-forecast-weekly")[
        "BestCandidate"
    ]
    name = churn["CandidateName"]
    validation = {
        d["StandardMetricName"]: d["Value"]
        for d in churn["CandidateProperties"]["CandidateMetrics"]
        if d["Set"] == "Validation"
    }
    where = locations(churn)

    body, content_type = download(s3, main_report_uri(where["Explainability"], "Explainability"))
    assert content_type == "application/json"
    shap = json.loads(body)["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert shap and list(shap.values()) == sorted(shap.values(), reverse=True)

    body, content_type = download(s3, main_report_uri(where["ModelInsights"], "ModelInsights"))
    assert content_type == "application/json"
    statistics = json.loads(body)
    metrics = statistics["binary_classification_metrics"]
    assert (
        metrics["f1"]["value"]
        == validation["F1"]
        == churn["FinalAutoMLJobObjectiveMetric"]["Value"]
    )
    matrix = metrics["confusion_matrix"]
    assert sum(sum(row.values()) for row in matrix.values()) == statistics["dataset"]["item_count"]

    for location in (where["Explainability"], where["ModelInsights"]):
        body, content_type = download(s3, f"{location}/report.pdf")
        assert content_type == "application/pdf"
        assert_valid_pdf(body)
        assert name.encode() in body

    backtests = locations(forecast)["BacktestResults"]
    body, content_type = download(s3, main_report_uri(backtests, "BacktestResults"))
    assert content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert rows and {"sku", "store_id", "wQL[0.1]", "wQL[0.5]", "wQL[0.9]", "Average wQL"} <= set(
        rows[0]
    )
    body, _ = download(s3, f"{backtests}/forecasted-values.csv")
    header = body.decode().splitlines()[0]
    assert header == "sku,store_id,week_start,units_sold,p10,p50,p90"


def test_a_presigned_download_is_the_stored_object(sagemaker: Any, s3: Any) -> None:
    best = sagemaker.describe_auto_ml_job(AutoMLJobName="customer-churn-xgb-rerun")["BestCandidate"]
    found = locations(best)
    for kind, files in REPORT_FILES.items():
        for file in files if kind in found else ():
            location = found[kind]
            where = split_s3_uri(f"{location}/{file.name}")
            assert where is not None
            stored = s3.get_object(Bucket=where[0], Key=where[1])
            assert stored["ContentType"] == file.content_type
            assert stored["LastModified"] == best["LastModifiedTime"]
            assert download(s3, f"{location}/{file.name}")[0] == stored["Body"].read()


def test_a_missing_report_is_a_404(sagemaker: Any, s3: Any) -> None:
    best = sagemaker.describe_auto_ml_job_v2(AutoMLJobName="customer-churn-xgb")["BestCandidate"]
    with pytest.raises(urllib.error.HTTPError) as info:
        download(s3, f"{locations(best)['Explainability']}/no-such-report.pdf")
    assert info.value.code == 404


def test_created_jobs_have_reports_at_once_and_follow_their_status(
    server: LocalSageMaker, sagemaker: Any, s3: Any
) -> None:
    name = unique_name("reports")
    sagemaker.create_auto_ml_job(
        **v1_job(name, AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 30}})
    )
    completed = documentation_keys(s3, sagemaker, name)
    assert completed == expected_keys(walk_candidates(sagemaker, name)) != set()
    server.autopilot.set_job_status(name, "InProgress")
    running = documentation_keys(s3, sagemaker, name)
    assert running == expected_keys(walk_candidates(sagemaker, name))
    assert running < completed
    server.autopilot.set_job_status(name, "Completed")
    assert documentation_keys(s3, sagemaker, name) == completed


def test_a_forecasting_job_in_another_account_and_region_serves_its_reports(
    server: LocalSageMaker,
) -> None:
    name = unique_name("forecast-elsewhere")
    request = v2_job(name, FORECASTING)
    request["OutputDataConfig"] = {"S3OutputPath": "s3://forecasts-eu/autopilot"}
    server.autopilot.create_auto_ml_job_v2(request, account_id="111122223333", region="eu-west-1")
    (candidate,) = server.autopilot.candidates(name, account_id="111122223333", region="eu-west-1")
    assert "forecasts-eu" in s3_backends["111122223333"]["aws"].buckets  # the job's account
    s3 = s3_client(server, region="eu-west-1")  # the gateway's account, another one
    assert s3.get_bucket_location(Bucket="forecasts-eu")["LocationConstraint"] == "eu-west-1"
    backtests = locations(candidate)["BacktestResults"]
    body, _ = download(s3, main_report_uri(backtests, "BacktestResults"))
    header = body.decode().splitlines()[0]
    assert header.startswith("item_id,backtest_window_start,backtest_window_end,")
    body, _ = download(s3, f"{backtests}/forecasted-values.csv")
    assert body.decode().splitlines()[0] == "item_id,day,demand,p10,p50,p90"
    assert len(body.decode().splitlines()) == 1 + 3 * 14  # three items, a 14-day horizon


@pytest.mark.parametrize(
    ("frequency", "horizon", "steps"),
    [
        ("D", 3, ["2026-02-26 00:00:00", "2026-02-27 00:00:00", "2026-02-28 00:00:00"]),
        ("2W", 2, ["2026-02-01 00:00:00", "2026-02-15 00:00:00"]),
        ("15min", 2, ["2026-02-28 23:30:00", "2026-02-28 23:45:00"]),
        ("1M", 3, ["2025-12-01 00:00:00", "2026-01-01 00:00:00", "2026-02-01 00:00:00"]),
        ("Y", 2, ["2024-01-01 00:00:00", "2025-01-01 00:00:00"]),
    ],
)
def test_backtests_step_at_the_forecast_frequency_up_to_the_job(
    server: LocalSageMaker, sagemaker: Any, s3: Any, frequency: str, horizon: int, steps: list[str]
) -> None:
    name = unique_name("backtest-steps")
    config = FORECASTING["TimeSeriesForecastingJobConfig"]
    settings = {**config, "ForecastFrequency": frequency, "ForecastHorizon": horizon}
    settings["ForecastQuantiles"] = ["p25", "p75"]
    request = v2_job(name, {"TimeSeriesForecastingJobConfig": settings})
    server.autopilot.create_auto_ml_job_v2(request, now=datetime(2026, 3, 1, 8, 30, tzinfo=UTC))
    (candidate,) = walk_candidates(sagemaker, name)
    backtests = locations(candidate)["BacktestResults"]
    body, _ = download(s3, f"{backtests}/forecasted-values.csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [row["day"] for row in rows if row["item_id"] == rows[0]["item_id"]] == steps
    assert all(float(row["p25"]) <= float(row["p75"]) for row in rows)
    body, _ = download(s3, main_report_uri(backtests, "BacktestResults"))
    for row in csv.DictReader(io.StringIO(body.decode())):
        losses = [float(row["wQL[0.25]"]), float(row["wQL[0.75]"])]
        assert float(row["Average wQL"]) == pytest.approx(sum(losses) / 2, abs=1e-6)
        assert (row["backtest_window_start"], row["backtest_window_end"]) == (
            steps[0][:10],
            steps[-1][:10],
        )
