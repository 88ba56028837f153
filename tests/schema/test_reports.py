"""Report links through real HTTP: presigned S3 GETs of the reports the local SageMaker wrote,
downloaded without AWS credentials, and no links when they are turned off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.local import MAIN_REPORT_KEYS as LOCAL_MAIN_REPORT_KEYS
from gateway.local.server import LocalSageMaker
from gateway.sagemaker.reports import MAIN_REPORT_KEYS, report_object
from gateway.settings import Settings
from tests.gateway_server import GraphQLClient, running_gateway

LINKS = """query ($job: String!) {
  candidates(jobName: $job, first: 3, statusEquals: COMPLETED) { edges { node {
    candidateProperties { candidateArtifactLocations {
      explainability modelInsights backtestResults
      explainabilityUrl modelInsightsUrl backtestResultsUrl } } } } }
}"""


@pytest.fixture(scope="module")
def linking_gateway(
    gateway_settings: Settings, local_sagemaker: LocalSageMaker
) -> Iterator[GraphQLClient]:
    settings = gateway_settings.model_copy(
        update={"s3_endpoint_url": local_sagemaker.endpoint_url, "artifact_url_seconds": 60}
    )
    with running_gateway(settings) as url:
        yield GraphQLClient(url)


def locations(client: GraphQLClient, job: str) -> list[dict[str, Any]]:
    edges = client.data(LINKS, job=job)["candidates"]["edges"]
    return [e["node"]["candidateProperties"]["candidateArtifactLocations"] for e in edges]


def test_the_gateway_links_the_reports_the_local_sagemaker_writes() -> None:
    assert MAIN_REPORT_KEYS == LOCAL_MAIN_REPORT_KEYS


@pytest.mark.parametrize("job", ["customer-churn-xgb", "demand-forecast-weekly"])
def test_report_links_download_without_credentials(
    linking_gateway: GraphQLClient, job: str
) -> None:
    found = locations(linking_gateway, job)
    assert found
    for location in found:
        for prefix, kind in (
            ("explainability", "Explainability"),
            ("modelInsights", "ModelInsights"),
            ("backtestResults", "BacktestResults"),
        ):
            url = location[f"{prefix}Url"]
            if location[prefix] is None:
                assert url is None
                continue
            assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
            bucket, key = report_object(location[prefix], kind)  # type: ignore[misc]
            assert f"/{bucket}/{key}" in url
            answer = httpx.get(url)  # a browser's plain GET: no AWS credentials
            assert answer.status_code == 200, answer.text
            assert answer.content


def test_no_links_when_they_are_turned_off(gateway_settings: Settings) -> None:
    settings = gateway_settings.model_copy(update={"artifact_url_seconds": 0})
    with running_gateway(settings) as url:
        found = locations(GraphQLClient(url), "customer-churn-xgb")
    assert all(location["explainability"] for location in found)
    assert all(location["explainabilityUrl"] is None for location in found)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("s3://bucket/a/b/output", ("bucket", "a/b/output/analysis.json")),
        ("s3://bucket/a/b/output/", ("bucket", "a/b/output/analysis.json")),
        ("s3://bucket", ("bucket", "analysis.json")),
        ("s3:///no-bucket", None),
        ("https://example.com/x", None),
    ],
)
def test_the_main_report_object_of_a_prefix(prefix: str, expected: tuple[str, str] | None) -> None:
    assert report_object(prefix, "Explainability") == expected
