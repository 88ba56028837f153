"""Which AutoML jobs to list: filters and sort of ListAutoMLJobs.

The sort is always sent explicitly (SageMaker documents Name, Descending as its default),
so that the reversed listing used for backward paging is the exact mirror of the forward one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.errors import BadUserInput
from gateway.sagemaker.cursors import fingerprint

MAX_JOBS_PER_CALL = 100
NAME_CONTAINS_MAX_LENGTH = 63
DEFAULT_SORT_BY = "Name"
DEFAULT_SORT_ORDER = "Descending"
_REVERSED_ORDER = {"Ascending": "Descending", "Descending": "Ascending"}


def job_key(summary: dict[str, Any]) -> str:
    name: str = summary["AutoMLJobName"]
    return name


@dataclass(frozen=True, slots=True)
class JobQuery:
    status_equals: str | None = None
    name_contains: str | None = None
    creation_time_after: datetime | None = None
    creation_time_before: datetime | None = None
    last_modified_time_after: datetime | None = None
    last_modified_time_before: datetime | None = None
    sort_by: str = DEFAULT_SORT_BY
    sort_order: str = DEFAULT_SORT_ORDER

    def __post_init__(self) -> None:
        if self.name_contains is not None and len(self.name_contains) > NAME_CONTAINS_MAX_LENGTH:
            raise BadUserInput(
                f"`nameContains` must be at most {NAME_CONTAINS_MAX_LENGTH} characters."
            )

    @property
    def reversible(self) -> bool:
        """Names are unique, so only a sort by name reverses exactly; ties could reorder."""
        return self.sort_by == "Name"

    @property
    def fingerprint(self) -> str:
        return fingerprint(
            "jobs",
            [
                self.status_equals,
                self.name_contains,
                self.creation_time_after,
                self.creation_time_before,
                self.last_modified_time_after,
                self.last_modified_time_before,
                self.sort_by,
                self.sort_order,
            ],
        )

    def request(
        self, token: str | None, max_results: int, *, reverse: bool = False
    ) -> dict[str, Any]:
        optional = {
            "StatusEquals": self.status_equals,
            "NameContains": self.name_contains,
            "CreationTimeAfter": self.creation_time_after,
            "CreationTimeBefore": self.creation_time_before,
            "LastModifiedTimeAfter": self.last_modified_time_after,
            "LastModifiedTimeBefore": self.last_modified_time_before,
            "NextToken": token,
        }
        return {
            "SortBy": self.sort_by,
            "SortOrder": _REVERSED_ORDER[self.sort_order] if reverse else self.sort_order,
            "MaxResults": max_results,
            **{key: value for key, value in optional.items() if value is not None},
        }
