"""Relay through real HTTP: both paging directions, jobs, totals, nodes and cursor checks."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from gateway.sagemaker.metrics import upstream_calls
from tests.aws_shapes import screaming_snake
from tests.gateway_server import GraphQLClient

CANDIDATES = """
query ($job: String!, $first: Int, $after: String, $last: Int, $before: String,
       $status: CandidateStatus, $sortBy: CandidateSortBy, $sortOrder: SortOrder) {
  candidates(jobName: $job, first: $first, after: $after, last: $last, before: $before,
             statusEquals: $status, sortBy: $sortBy, sortOrder: $sortOrder) {
    edges { cursor node { id candidateName } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
JOBS = """
query ($first: Int, $after: String, $last: Int, $before: String, $status: AutoMLJobStatus,
       $nameContains: String, $createdAfter: DateTime, $sortBy: AutoMLSortBy,
       $sortOrder: SortOrder) {
  autoMLJobs(first: $first, after: $after, last: $last, before: $before,
             statusEquals: $status, nameContains: $nameContains,
             creationTimeAfter: $createdAfter, sortBy: $sortBy, sortOrder: $sortOrder) {
    edges { cursor node { id autoMLJobName } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def upstream_candidates(client: Any, job: str, **arguments: str) -> list[str]:
    pages = client.get_paginator("list_candidates_for_auto_ml_job").paginate(
        AutoMLJobName=job, PaginationConfig={"PageSize": 300}, **arguments
    )
    return [c["CandidateName"] for page in pages for c in page["Candidates"]]


def upstream_jobs(client: Any, **arguments: Any) -> list[str]:
    pages = client.get_paginator("list_auto_ml_jobs").paginate(
        PaginationConfig={"PageSize": 100}, **arguments
    )
    return [j["AutoMLJobName"] for page in pages for j in page["AutoMLJobSummaries"]]


ARGUMENTS = {"SortBy": "sortBy", "SortOrder": "sortOrder", "StatusEquals": "status"}


def graphql_arguments(upstream: dict[str, str]) -> dict[str, str]:
    return {ARGUMENTS[key]: screaming_snake(value) for key, value in upstream.items()}


def connection(gateway: GraphQLClient, query: str, **variables: Any) -> dict[str, Any]:
    data = gateway.data(query, **variables)
    return data["candidates"] if "candidates" in data else data["autoMLJobs"]


def names(page: dict[str, Any]) -> list[str]:
    return [
        edge["node"].get("candidateName") or edge["node"]["autoMLJobName"] for edge in page["edges"]
    ]


def walk_backward(gateway: GraphQLClient, query: str, last: int, **variables: Any) -> list[str]:
    """Follow startCursor back to the beginning; return the items in forward order."""
    collected: list[str] = []
    before = None
    while True:
        page = connection(gateway, query, last=last, before=before, **variables)
        info = page["pageInfo"]
        assert info["hasNextPage"] is (before is not None)
        collected = names(page) + collected
        if not info["hasPreviousPage"]:
            return collected
        assert len(page["edges"]) == last
        before = info["startCursor"]


@pytest.mark.parametrize("last", [1, 7, 100, 300, 1000])
def test_candidates_walked_backward_equal_the_upstream_order(
    gateway: GraphQLClient, sagemaker_client: Any, big_job: str, last: int
) -> None:
    # Each backward page re-reads the list up to its cursor: single steps use a filter.
    sorts: list[dict[str, str]] = [{}, {"SortBy": "Status", "SortOrder": "Descending"}]
    if last == 1:
        sorts = [{"StatusEquals": "Failed"}]
    for sort in sorts:
        expected = upstream_candidates(sagemaker_client, big_job, **sort)
        variables = graphql_arguments(sort)
        assert walk_backward(gateway, CANDIDATES, last, job=big_job, **variables) == expected


def test_last_10_and_a_before_page_cost_one_call_each_on_the_250_candidate_job(
    uncached_gateway: GraphQLClient, sagemaker_client: Any, big_job: str
) -> None:
    expected = upstream_candidates(sagemaker_client, big_job)
    calls = upstream_calls()
    page = connection(uncached_gateway, CANDIDATES, job=big_job, last=10)
    assert upstream_calls() - calls == 1
    assert names(page) == expected[-10:]
    assert page["pageInfo"]["hasPreviousPage"] is True
    assert page["pageInfo"]["hasNextPage"] is False

    calls = upstream_calls()
    before = connection(
        uncached_gateway, CANDIDATES, job=big_job, last=10, before=page["pageInfo"]["startCursor"]
    )
    assert upstream_calls() - calls == 1
    assert names(before) == expected[-20:-10]


def test_paging_back_and_forth_revisits_the_same_pages(
    gateway: GraphQLClient, big_job: str
) -> None:
    one = connection(gateway, CANDIDATES, job=big_job, first=30)
    two = connection(gateway, CANDIDATES, job=big_job, first=30, after=one["pageInfo"]["endCursor"])
    back = connection(
        gateway, CANDIDATES, job=big_job, last=30, before=two["pageInfo"]["startCursor"]
    )
    assert names(back) == names(one)
    assert back["pageInfo"]["hasPreviousPage"] is False
    again = connection(
        gateway, CANDIDATES, job=big_job, first=30, after=back["pageInfo"]["endCursor"]
    )
    assert names(again) == names(two)


def test_first_and_last_together_follow_the_spec(gateway: GraphQLClient, big_job: str) -> None:
    everything = names(connection(gateway, CANDIDATES, job=big_job, first=1000))
    page = connection(gateway, CANDIDATES, job=big_job, first=20, last=5)
    assert names(page) == everything[15:20]
    assert page["pageInfo"]["hasPreviousPage"] is True
    assert page["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    "sort",
    [
        {},
        {"SortBy": "Name", "SortOrder": "Ascending"},
        {"SortBy": "CreationTime", "SortOrder": "Descending"},
        {"SortBy": "Status", "SortOrder": "Ascending"},
    ],
)
@pytest.mark.parametrize("size", [1, 3, 100])
def test_jobs_walked_both_ways_equal_list_auto_ml_jobs(
    gateway: GraphQLClient,
    sagemaker_client: Any,
    demo_jobs: list[str],
    sort: dict[str, str],
    size: int,
) -> None:
    expected = upstream_jobs(
        sagemaker_client, **({"SortBy": "Name", "SortOrder": "Descending"} | sort)
    )
    assert sorted(expected) == sorted(demo_jobs)
    variables = graphql_arguments(sort)

    forward: list[str] = []
    after = None
    while True:
        page = connection(gateway, JOBS, first=size, after=after, **variables)
        forward += names(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert forward == expected
    assert walk_backward(gateway, JOBS, size, **variables) == expected


def test_jobs_filters_match_list_auto_ml_jobs(
    gateway: GraphQLClient, sagemaker_client: Any, demo_jobs: list[str]
) -> None:
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"StatusEquals": "Completed"}, {"status": "COMPLETED"}),
        ({"NameContains": "house"}, {"nameContains": "house"}),
    ]
    created = sagemaker_client.describe_auto_ml_job_v2(AutoMLJobName="customer-churn-xgb")[
        "CreationTime"
    ]
    cases.append(({"CreationTimeAfter": created}, {"createdAfter": created.isoformat()}))
    for upstream, variables in cases:
        expected = upstream_jobs(
            sagemaker_client, SortBy="Name", SortOrder="Descending", **upstream
        )
        assert 0 < len(expected) < len(demo_jobs), upstream
        assert names(connection(gateway, JOBS, first=100, **variables)) == expected


def test_total_count_is_exact_and_only_costs_when_selected(
    uncached_gateway: GraphQLClient, sagemaker_client: Any, big_job: str, demo_jobs: list[str]
) -> None:
    query = """
    query ($job: String!, $status: CandidateStatus) {
      candidates(jobName: $job, first: 1, statusEquals: $status) { totalCount }
      autoMLJobs(first: 1) { totalCount }
    }
    """
    data = uncached_gateway.data(query, job=big_job)
    assert data["candidates"]["totalCount"] == 250
    assert data["autoMLJobs"]["totalCount"] == len(demo_jobs)
    failed = len(upstream_candidates(sagemaker_client, big_job, StatusEquals="Failed"))
    assert (
        uncached_gateway.data(query, job=big_job, status="FAILED")["candidates"]["totalCount"]
        == failed
    )

    calls = upstream_calls()
    connection(uncached_gateway, CANDIDATES, job=big_job, first=5)
    assert upstream_calls() - calls == 1


NODE = """
query ($id: ID!) {
  node(id: $id) {
    __typename id
    ... on AutoMLJob { autoMLJobName autoMLJobStatus }
    ... on Candidate { candidateName candidateStatus finalAutoMLJobObjectiveMetric { value } }
  }
}
"""


def test_nodes_refetch_jobs_and_candidates_by_global_id(
    gateway: GraphQLClient, big_job: str
) -> None:
    jobs = connection(gateway, JOBS, first=10, nameContains=big_job)["edges"]
    [job_id] = [edge["node"]["id"] for edge in jobs if edge["node"]["autoMLJobName"] == big_job]
    candidate = connection(gateway, CANDIDATES, job=big_job, first=1)["edges"][0]["node"]

    job = gateway.data(NODE, id=job_id)["node"]
    assert job["__typename"] == "AutoMLJob"
    assert job["autoMLJobName"] == big_job
    assert job["id"] == job_id
    assert base64.b64decode(job_id).decode() == f"AutoMLJob:{big_job}"

    refetched = gateway.data(NODE, id=candidate["id"])["node"]
    assert refetched["__typename"] == "Candidate"
    assert refetched["candidateName"] == candidate["candidateName"]
    assert refetched["id"] == candidate["id"]

    # A Relay @refetchable fragment compiles to exactly this shape of query.
    refetch = """
    query CandidateRefetchQuery($id: ID!) {
      node(id: $id) { ...CandidateRow id }
    }
    fragment CandidateRow on Candidate { candidateName objectiveStatus id }
    """
    assert (
        gateway.data(refetch, id=candidate["id"])["node"]["candidateName"]
        == candidate["candidateName"]
    )


def global_id(type_name: str, node_id: str) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


def test_unknown_and_malformed_ids(gateway: GraphQLClient, big_job: str) -> None:
    for node_id in [
        global_id("AutoMLJob", "no-such-job"),
        global_id("Candidate", f"{big_job}/nope"),
    ]:
        body = gateway.post(NODE, id=node_id)
        assert body["data"] == {"node": None}
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for node_id in [
        "",
        "nonsense",
        global_id("Widget", "x"),
        global_id("Candidate", "bad_job/x"),
        global_id("AutoMLJob", "bad name"),
    ]:
        body = gateway.post(NODE, id=node_id)
        assert body["data"] == {"node": None}, node_id
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", node_id


def test_nodes_returns_each_id_in_order_with_errors_at_their_index(
    gateway: GraphQLClient, big_job: str
) -> None:
    query = "query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on AutoMLJob { autoMLJobName } } }"
    good = global_id("AutoMLJob", big_job)
    body = gateway.post(query, ids=[good, global_id("AutoMLJob", "no-such-job"), "garbage", good])
    assert [n and n["autoMLJobName"] for n in body["data"]["nodes"]] == [
        big_job,
        None,
        None,
        big_job,
    ]
    codes = {tuple(e["path"]): e["extensions"]["code"] for e in body["errors"]}
    assert codes == {("nodes", 1): "NOT_FOUND", ("nodes", 2): "BAD_USER_INPUT"}

    error = gateway.error(query, ids=[good] * 101)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("argument", ["first", "last"])
def test_negative_or_oversized_page_sizes_are_refused(
    gateway: GraphQLClient, big_job: str, argument: str
) -> None:
    for value in (-1, 1001):
        error = gateway.error(CANDIDATES, job=big_job, **{argument: value})
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert f"`{argument}` must be between 0 and 1000" in error["message"]


def test_every_cursor_rejection_says_to_restart_paging(
    gateway: GraphQLClient, big_job: str, demo_jobs: list[str]
) -> None:
    page = connection(gateway, CANDIDATES, job=big_job, first=3)
    cursor = page["pageInfo"]["endCursor"]
    job_cursor = connection(gateway, JOBS, first=1)["pageInfo"]["endCursor"]
    other_job = next(job for job in demo_jobs if job != big_job)
    flipped = cursor[:12] + ("A" if cursor[12] != "A" else "B") + cursor[13:]
    cases: list[tuple[str, dict[str, Any], str]] = [
        (CANDIDATES, {"job": big_job, "after": flipped}, "not one this gateway made"),
        (CANDIDATES, {"job": big_job, "after": cursor[:-5]}, "not one this gateway made"),
        (CANDIDATES, {"job": big_job, "before": "v3.e30.AAAA"}, "not one this gateway made"),
        (CANDIDATES, {"job": other_job, "after": cursor}, "different job, filter or sort"),
        (CANDIDATES, {"job": big_job, "after": cursor, "status": "FAILED"}, "different job"),
        (CANDIDATES, {"job": big_job, "before": cursor, "sortBy": "STATUS"}, "different job"),
        (CANDIDATES, {"job": big_job, "after": job_cursor}, "different job, filter or sort"),
        (JOBS, {"after": cursor}, "different job, filter or sort"),
        (JOBS, {"before": job_cursor, "sortOrder": "ASCENDING"}, "different job, filter or sort"),
    ]
    for query, variables, message in cases:
        error = gateway.error(query, **variables)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", variables
        assert message in error["message"]
        assert "Restart paging" in error["message"]


def test_cursors_survive_a_restart_only_with_a_configured_secret(
    local_sagemaker: Any, big_job: str
) -> None:
    from gateway.settings import Settings
    from tests.gateway_server import running_gateway

    settings = Settings(
        auth_mode="none",
        sagemaker_endpoint_url=local_sagemaker.endpoint_url,
        aws_region=local_sagemaker.region,
        cursor_secret="s3cret-for-tests",  # type: ignore[arg-type]
    )
    with running_gateway(settings) as url:
        cursor = connection(GraphQLClient(url), CANDIDATES, job=big_job, first=2)["pageInfo"][
            "endCursor"
        ]
    with running_gateway(settings) as url:
        page = connection(GraphQLClient(url), CANDIDATES, job=big_job, first=2, after=cursor)
        assert len(page["edges"]) == 2
    with running_gateway(settings.model_copy(update={"cursor_secret": None})) as url:
        error = GraphQLClient(url).error(CANDIDATES, job=big_job, after=cursor)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_jobs_are_described_only_when_a_described_field_is_selected(
    uncached_gateway: GraphQLClient, demo_jobs: list[str]
) -> None:
    plain = "{ autoMLJobs(first: 100) { edges { node { autoMLJobName autoMLJobStatus } } } }"
    described = """{ autoMLJobs(first: 100) { edges { node {
        autoMLJobName bestCandidate { candidateName } autoMLJobObjective { metricName }
        completionCriteria { maxCandidates } problemType
    } } } }"""
    calls = upstream_calls("describe_auto_ml_job_v2")
    uncached_gateway.data(plain)
    assert upstream_calls("describe_auto_ml_job_v2") == calls
    jobs = uncached_gateway.data(described)["autoMLJobs"]["edges"]
    assert len(jobs) == len(demo_jobs)
    assert upstream_calls("describe_auto_ml_job_v2") - calls == len(demo_jobs)
