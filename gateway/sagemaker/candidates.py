"""Which candidates to list: a job, optional filters and the upstream sort.

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


def check_candidate_name(name: str, argument: str = "candidateNameEquals") -> None:
    if not 0 < len(name) <= CANDIDATE_NAME_MAX_LENGTH:
        raise BadUserInput(f"`{argument}` must be 1 to {CANDIDATE_NAME_MAX_LENGTH} characters.")


def candidate_key(candidate: dict[str, Any]) -> str:
    name: str = candidate["CandidateName"]
    return name


@dataclass(frozen=True, slots=True)
class CandidateQuery:
    job_name: str
    status_equals: str | None = None
    candidate_name_equals: str | None = None
    sort_by: str | None = None
    sort_order: str | None = None

    def __post_init__(self) -> None:
        check_job_name(self.job_name)
        if self.candidate_name_equals is not None:
            check_candidate_name(self.candidate_name_equals)

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
        optional = {
            "StatusEquals": self.status_equals,
            "CandidateNameEquals": self.candidate_name_equals,
            "SortBy": self.sort_by,
            "SortOrder": self.sort_order,
            "NextToken": token,
        }
        return {
            "AutoMLJobName": self.job_name,
            "MaxResults": max_results,
            **{key: value for key, value in optional.items() if value is not None},
        }
