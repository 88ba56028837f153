"""Candidates' report objects in moto's S3, served by the local SageMaker's own endpoint.

moto's server answers S3 on the same port as SageMaker: a request signed for ``s3``, or an
unsigned one such as a presigned GET, reaches moto's S3 backend, and path-style addressing
(``http://127.0.0.1:<port>/<bucket>/<key>``) names the bucket. So the reports Autopilot would
have written are put straight into that backend, in the job's account and region, and any
client (the gateway presigning GET URLs with its own credentials) downloads them from there.

moto's backends are process-global: servers in one process share these objects. They are the
same for the same job, so servers seeding the same demo jobs agree.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC

from moto.s3.exceptions import MissingBucket, S3ClientError
from moto.s3.models import S3Backend, s3_backends
from moto.utilities.utils import get_partition

from gateway.local.jobs import AutoMLJob
from gateway.local.reports import ReportObject, candidate_reports, report_keys
from gateway.shapes import AWS


class ReportStorage:
    """Keeps moto's S3 in step with the jobs' candidates: each one with artifact locations has
    its report objects there, and no other candidate of the job has any."""

    def _backend(self, job: AutoMLJob) -> S3Backend:
        backend: S3Backend = s3_backends[job.spec.account_id][get_partition(job.spec.region)]
        return backend

    def _ensure_bucket(self, backend: S3Backend, bucket: str, region: str) -> bool:
        """Whether ``bucket`` exists, creating it in ``region`` if no account has it yet."""
        try:
            backend.get_bucket(bucket)  # bucket names are global: any account's will do
        except MissingBucket:
            try:
                backend.create_bucket(bucket, region)
            except S3ClientError:  # a name S3 refuses: a real job could not write there either
                return False
        return True

    def _put(self, backend: S3Backend, report: ReportObject) -> None:
        key = backend.put_object(report.bucket, report.key, report.body)
        key.set_metadata({"Content-Type": report.content_type})
        key.last_modified = report.written.astimezone(UTC).replace(tzinfo=None)  # moto: naive

    def run_changed(self, job: AutoMLJob, before: Sequence[AWS]) -> None:
        """Put the reports of candidates that gained artifact locations, delete the lost ones."""
        backend = self._backend(job)
        had = {key for candidate in before for key in report_keys(candidate)}
        has = {key for candidate in job.run.candidates for key in report_keys(candidate)}
        for bucket, key in sorted(had - has):
            with contextlib.suppress(S3ClientError):  # the bucket is gone, so is the object
                backend.delete_object(bucket, key)
        usable: dict[str, bool] = {}
        for candidate in job.run.candidates:
            keys = report_keys(candidate)
            if not keys or set(keys) <= had:  # a candidate's reports never change
                continue
            for report in candidate_reports(job, candidate):
                if report.bucket not in usable:
                    usable[report.bucket] = self._ensure_bucket(
                        backend, report.bucket, job.spec.region
                    )
                if usable[report.bucket]:
                    self._put(backend, report)
