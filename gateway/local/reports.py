"""The report objects Autopilot writes under a candidate's ``CandidateArtifactLocations``.

Each location is an S3 prefix. What the real service writes there, as far as AWS documents it
or its own SDK relies on it, and what the local SageMaker writes:

- ``Explainability``: SageMaker Clarify's output for the candidate. ``analysis.json`` (the global
  SHAP values) lies directly under the prefix: the SageMaker Python SDK's AutoMLStep resolves
  ``ExplainabilityJsonReportPath`` to ``<Explainability>/analysis.json``, and its integration
  test checks that against a real job. Clarify renders its report as ``report.pdf`` (with
  ``report.html`` and ``report.ipynb``; "report" is Clarify's default report name). Written
  here: ``analysis.json`` and ``report.pdf``.
- ``ModelInsights``: the model quality (performance) report, made with SageMaker Model Monitor's
  container. Its raw data is ``statistics.json`` directly under the prefix (the SDK's
  ``ModelInsightsJsonReportPath`` is ``<ModelInsights>/statistics.json``); Studio also offers it
  as a PDF, whose file name AWS does not document: ``report.pdf`` here. Written here:
  ``statistics.json`` and ``report.pdf``.
- ``BacktestResults`` (time-series forecasting only): "the accuracy metrics and the inference
  results observed over the testing window". AWS does not document the file names; Amazon
  Forecast's backtest export, which this mirrors, has the accuracy metrics and the forecasted
  values apart. Written here: ``accuracy-metrics-values.csv`` and ``forecasted-values.csv``.

The *main report object* of a location, the one a leaderboard links to, is the first file of
its kind (:data:`MAIN_REPORT_KEYS`): the JSON reports whose names AWS's SDK relies on, and the
accuracy metrics of a backtest. Real jobs may lack a report (Autopilot documents reports for the
best candidate, and a forecasting job's explainability report only under some conditions), so a
link to one should be prepared for a missing object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, get_args

from gateway.local.backtests import accuracy_metrics, forecasted_values
from gateway.local.jobs import AutoMLJob
from gateway.local.report_content import (
    explainability_analysis,
    explainability_pdf,
    model_insights_pdf,
    model_insights_statistics,
    written_at,
)
from gateway.shapes import AWS

ArtifactKind = Literal["Explainability", "ModelInsights", "BacktestResults"]
ARTIFACT_KINDS: Final[tuple[ArtifactKind, ...]] = get_args(ArtifactKind)
"""The members of CandidateArtifactLocations, each an S3 prefix of report objects."""

Render = Callable[[AutoMLJob, AWS], bytes]


@dataclass(frozen=True)
class ReportFile:
    """One object Autopilot writes under a location: its key below the prefix, and its bytes."""

    name: str
    content_type: str
    render: Render


REPORT_FILES: Final[dict[ArtifactKind, tuple[ReportFile, ...]]] = {
    "Explainability": (
        ReportFile("analysis.json", "application/json", explainability_analysis),
        ReportFile("report.pdf", "application/pdf", explainability_pdf),
    ),
    "ModelInsights": (
        ReportFile("statistics.json", "application/json", model_insights_statistics),
        ReportFile("report.pdf", "application/pdf", model_insights_pdf),
    ),
    "BacktestResults": (
        ReportFile("accuracy-metrics-values.csv", "text/csv", accuracy_metrics),
        ReportFile("forecasted-values.csv", "text/csv", forecasted_values),
    ),
}
MAIN_REPORT_KEYS: Final[dict[ArtifactKind, str]] = {
    kind: files[0].name for kind, files in REPORT_FILES.items()
}
"""The key, below each location's prefix, of the report a leaderboard links to."""


@dataclass(frozen=True)
class ReportObject:
    """An S3 object to put: where, what, and when it was written."""

    bucket: str
    key: str
    body: bytes
    content_type: str
    written: datetime


def split_s3_uri(uri: str) -> tuple[str, str] | None:
    """``s3://bucket/some/prefix`` as (bucket, prefix without a trailing slash), else None."""
    scheme, _, rest = uri.partition("://")
    bucket, _, prefix = rest.partition("/")
    if scheme != "s3" or not bucket:
        return None
    return bucket, prefix.rstrip("/")


def main_report_uri(location: str, kind: ArtifactKind) -> str:
    """The S3 URI of the main report object under ``location`` (a location of ``kind``)."""
    return f"{location.rstrip('/')}/{MAIN_REPORT_KEYS[kind]}"


def artifact_locations(candidate: AWS) -> dict[ArtifactKind, str]:
    """The candidate's CandidateArtifactLocations (none for candidates that did not complete)."""
    locations = candidate.get("CandidateProperties", {}).get("CandidateArtifactLocations", {})
    return {kind: locations[kind] for kind in ARTIFACT_KINDS if kind in locations}


def report_keys(candidate: AWS) -> list[tuple[str, str]]:
    """(bucket, key) of every report object the candidate's locations hold, cheaply."""
    keys = []
    for kind, location in artifact_locations(candidate).items():
        where = split_s3_uri(location)
        if where is not None:
            keys += [(where[0], f"{where[1]}/{f.name}") for f in REPORT_FILES[kind]]
    return keys


def candidate_reports(job: AutoMLJob, candidate: AWS) -> list[ReportObject]:
    """Every report object under the candidate's artifact locations, rendered."""
    objects = []
    for kind, location in artifact_locations(candidate).items():
        where = split_s3_uri(location)
        if where is None:
            continue
        bucket, prefix = where
        for file in REPORT_FILES[kind]:
            objects.append(
                ReportObject(
                    bucket=bucket,
                    key=f"{prefix}/{file.name}",
                    body=file.render(job, candidate),
                    content_type=file.content_type,
                    written=written_at(candidate),
                )
            )
    return objects
