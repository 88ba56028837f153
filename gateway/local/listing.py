"""ListAutoMLJobs and ListCandidatesForAutoMLJob: filters, sort orders and pages.

A page's NextToken is bound to everything that shapes the list (the operation, the caller's
account and region, the filters, the sort), so a token cannot be replayed against another query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from gateway.local.candidate_order import sort_candidates
from gateway.local.descriptions import summary
from gateway.local.jobs import AutoMLJob
from gateway.local.next_tokens import NextTokenCodec
from gateway.local.wire import aware, present
from gateway.shapes import AWS

Item = TypeVar("Item")


@dataclass(frozen=True)
class _ListOperation:
    """A List* operation's defaults, and the pages it answers with."""

    name: str
    sort_by: str
    sort_order: str
    max_results: int

    def sort(self, params: Mapping[str, Any]) -> tuple[str, str]:
        """(SortBy, SortOrder) of a request."""
        return params.get("SortBy", self.sort_by), params.get("SortOrder", self.sort_order)

    def page(
        self,
        items: list[Item],
        params: Mapping[str, Any],
        scope: tuple[str, str],
        tokens: NextTokenCodec,
        filters: AWS,
    ) -> tuple[list[Item], str | None]:
        """One page of ``items``; the token is omitted when nothing follows."""
        binding = {
            "op": self.name,
            "scope": list(scope),
            **filters,
            "sort": list(self.sort(params)),
        }
        token = params.get("NextToken")
        start = tokens.decode(token, binding) if token else 0
        end = start + params.get("MaxResults", self.max_results)
        next_token = tokens.encode(binding, end) if end < len(items) else None
        return items[start:end], next_token


_LIST_CANDIDATES: Final = _ListOperation(
    "ListCandidatesForAutoMLJob", sort_by="CreationTime", sort_order="Ascending", max_results=10
)
"""AWS documents SortBy's default as "Descending" (not a SortBy value); CreationTime is the
order candidates are produced in. It documents no default page size; 10 is SageMaker's usual
List* default, and a small page makes a client that ignores NextToken visibly incomplete
locally rather than only in production."""
_LIST_JOBS: Final = _ListOperation(
    "ListAutoMLJobs", sort_by="Name", sort_order="Descending", max_results=10
)

_TIME_BOUNDS: Final = (
    "CreationTimeAfter",
    "CreationTimeBefore",
    "LastModifiedTimeAfter",
    "LastModifiedTimeBefore",
)
_JOB_SORT_KEYS: Final[dict[str, Callable[[AutoMLJob], Any]]] = {
    "Name": lambda j: j.name,
    "CreationTime": lambda j: j.spec.creation_time,
    "Status": lambda j: j.status,
}


def list_jobs(
    jobs: Iterable[AutoMLJob],
    params: Mapping[str, Any],
    scope: tuple[str, str],
    tokens: NextTokenCodec,
) -> AWS:
    """ListAutoMLJobs over ``jobs`` (NameContains matches case-insensitively)."""
    bounds = {key: aware(params[key]) for key in _TIME_BOUNDS if key in params}
    contains = params.get("NameContains", "").lower()
    selected = [j for j in jobs if contains in j.name.lower()]
    if "StatusEquals" in params:
        selected = [j for j in selected if j.status == params["StatusEquals"]]
    created_after = bounds.get("CreationTimeAfter")
    created_before = bounds.get("CreationTimeBefore")
    modified_after = bounds.get("LastModifiedTimeAfter")
    modified_before = bounds.get("LastModifiedTimeBefore")
    selected = [
        j
        for j in selected
        if (created_after is None or j.spec.creation_time > created_after)
        and (created_before is None or j.spec.creation_time < created_before)
        and (modified_after is None or j.run.last_modified_time > modified_after)
        and (modified_before is None or j.run.last_modified_time < modified_before)
    ]
    sort_by, sort_order = _LIST_JOBS.sort(params)
    primary = _JOB_SORT_KEYS[sort_by]
    selected.sort(key=lambda j: (primary(j), j.name), reverse=sort_order == "Descending")
    filters = {
        "name": params.get("NameContains"),
        "status": params.get("StatusEquals"),
        "bounds": {k: v.isoformat() for k, v in bounds.items()},
    }
    page, token = _LIST_JOBS.page(selected, params, scope, tokens, filters)
    return present(AutoMLJobSummaries=[summary(j) for j in page], NextToken=token)


def list_candidates(
    candidates: list[AWS],
    params: Mapping[str, Any],
    scope: tuple[str, str],
    tokens: NextTokenCodec,
) -> AWS:
    """ListCandidatesForAutoMLJob over a job's ``candidates``, in a total sort order."""
    if "StatusEquals" in params:
        candidates = [c for c in candidates if c["CandidateStatus"] == params["StatusEquals"]]
    if "CandidateNameEquals" in params:
        name = params["CandidateNameEquals"]
        candidates = [c for c in candidates if c["CandidateName"] == name]
    ordered = sort_candidates(candidates, *_LIST_CANDIDATES.sort(params))
    filters = {
        "job": params["AutoMLJobName"],
        "status": params.get("StatusEquals"),
        "name": params.get("CandidateNameEquals"),
    }
    page, token = _LIST_CANDIDATES.page(ordered, params, scope, tokens, filters)
    return present(Candidates=page, NextToken=token)
