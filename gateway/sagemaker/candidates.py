"""Reading an AutoML job's candidates: input checks and the ListCandidatesForAutoMLJob call.

The limits mirror botocore's service model for SageMaker (checked by a test), so a bad
argument gets a clear ``BAD_USER_INPUT`` before any upstream call is spent on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gateway.errors import BadUserInput
from gateway.sagemaker.cursors import fingerprint

JOB_NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}")
JOB_NAME_MAX_LENGTH = 32
CANDIDATE_NAME_MAX_LENGTH = 64
MAX_CANDIDATES_PER_CALL = 300


def check_job_name(name: str) -> None:
    if not (0 < len(name) <= JOB_NAME_MAX_LENGTH and JOB_NAME_PATTERN.fullmatch(name)):
        raise BadUserInput(
            f"'{name[:64]}' is not a valid AutoML job name: 1 to {JOB_NAME_MAX_LENGTH} "
            "letters, digits and hyphens, starting and ending with a letter or digit."
        )


@dataclass(frozen=True, slots=True)
class CandidateQuery:
    """Which candidates to list: a job, optional filters, and the upstream sort."""

    job_name: str
    status_equals: str | None = None
    candidate_name_equals: str | None = None
    sort_by: str | None = None
    sort_order: str | None = None

    def __post_init__(self) -> None:
        check_job_name(self.job_name)
        name = self.candidate_name_equals
        if name is not None and not 0 < len(name) <= CANDIDATE_NAME_MAX_LENGTH:
            raise BadUserInput(
                f"`candidateNameEquals` must be 1 to {CANDIDATE_NAME_MAX_LENGTH} characters."
            )

    @property
    def fingerprint(self) -> str:
        return fingerprint(
            "candidates",
            [
                self.job_name,
                self.status_equals,
                self.candidate_name_equals,
                self.sort_by,
                self.sort_order,
            ],
        )

    def request(self, token: str | None, max_results: int) -> dict[str, Any]:
        params: dict[str, Any] = {"AutoMLJobName": self.job_name, "MaxResults": max_results}
        optional = {
            "StatusEquals": self.status_equals,
            "CandidateNameEquals": self.candidate_name_equals,
            "SortBy": self.sort_by,
            "SortOrder": self.sort_order,
            "NextToken": token,
        }
        params.update({key: value for key, value in optional.items() if value is not None})
        return params
