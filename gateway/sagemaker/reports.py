"""Links to a candidate's reports: presigned S3 GETs of the main report object under each of
its artifact prefixes (``CandidateArtifactLocations``), signed with the gateway's own
credentials, so a browser downloads a report without AWS credentials of its own.

Autopilot writes several files under each prefix; the one linked to is the report AWS's own
SDK reads (``ExplainabilityJsonReportPath`` is ``<Explainability>/analysis.json``,
``ModelInsightsJsonReportPath`` is ``<ModelInsights>/statistics.json``) and, for time-series
candidates, the backtest's accuracy metrics. Signing is a computation, not a call: a link
costs no request to AWS, and a report that does not exist answers 404 when downloaded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final, Literal

import aioboto3
from aiobotocore.config import AioConfig

from gateway.sagemaker.client import StaticCredentials
from gateway.settings import Settings

ReportKind = Literal["Explainability", "ModelInsights", "BacktestResults"]

MAIN_REPORT_KEYS: Final[dict[ReportKind, str]] = {
    "Explainability": "analysis.json",
    "ModelInsights": "statistics.json",
    "BacktestResults": "accuracy-metrics-values.csv",
}
"""The key, below each kind of artifact prefix, of the report a link points at."""


def report_object(prefix: str, kind: ReportKind) -> tuple[str, str] | None:
    """The bucket and key of the main report under an ``s3://bucket/path`` prefix."""
    if not prefix.startswith("s3://"):
        return None
    bucket, _, path = prefix.removeprefix("s3://").partition("/")
    if not bucket:
        return None
    path = path.strip("/")
    return bucket, f"{path}/{MAIN_REPORT_KEYS[kind]}" if path else MAIN_REPORT_KEYS[kind]


class ReportLinks:
    def __init__(self, s3: Any, expires_in: int) -> None:
        self._s3 = s3
        self._expires_in = expires_in

    async def url(self, prefix: str | None, kind: ReportKind) -> str | None:
        """A presigned GET of ``prefix``'s main report, valid for the configured seconds."""
        where = None if prefix is None else report_object(prefix, kind)
        if where is None:
            return None
        bucket, key = where
        url: str = await self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=self._expires_in
        )
        return url


@asynccontextmanager
async def open_report_links(
    settings: Settings, credentials: StaticCredentials | None = None
) -> AsyncIterator[ReportLinks | None]:
    """The process's signer of report links; None when links are off (0 seconds)."""
    if settings.artifact_url_seconds == 0:
        yield None
        return
    session = aioboto3.Session(
        region_name=settings.aws_region,
        aws_access_key_id=credentials.access_key_id if credentials else None,
        aws_secret_access_key=credentials.secret_access_key if credentials else None,
    )
    # A custom endpoint (the local SageMaker's, or a gateway to S3) takes bucket names in the
    # path; AWS's own endpoints take them in the host name, as S3 prefers.
    addressing = "path" if settings.s3_endpoint_url else "virtual"
    config = AioConfig(signature_version="s3v4", s3={"addressing_style": addressing})
    async with session.client("s3", endpoint_url=settings.s3_endpoint_url, config=config) as s3:
        yield ReportLinks(s3, settings.artifact_url_seconds)
