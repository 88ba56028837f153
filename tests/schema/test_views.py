"""A member SageMaker's answer lacks costs what GraphQL's null propagation says, no more.

botocore drops null members, so a member its model calls required can still be missing (seen:
a container's ``Image``, the artifacts' ``Explainability``). The field then reads as null and
graphql-core nulls its nearest nullable ancestor, with the error at the field's path; the rest
of the page stands. The local SageMaker cannot drop a member from its answers (its faults are
whole error responses), so these run the schema on an in-memory answer taken from it.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
from strawberry import Schema
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.schema import build_schema
from gateway.schema.execution import PlannedExecutionContext
from gateway.schema.query import Query
from gateway.schema.views import View
from tests.aws_shapes import CANDIDATE_FIELDS, graphql_value, shape, without_nulls
from tests.schema.memory import MemoryAutopilot, execute

PAGE = (
    CANDIDATE_FIELDS
    + """
query { candidates(jobName: "j", first: 10) { edges { node { ...AllCandidateFields } } } }
"""
)
RAW = Schema(query=Query, execution_context_class=PlannedExecutionContext)
"""The schema without the gateway's error masking: graphql-core's own messages."""


@pytest.fixture(scope="module")
def demo_page(sagemaker_client: Any, big_job: str) -> list[dict[str, Any]]:
    answer = sagemaker_client.list_candidates_for_auto_ml_job(AutoMLJobName=big_job, MaxResults=3)
    candidates: list[dict[str, Any]] = answer["Candidates"]
    assert all(c.get("InferenceContainers") and c.get("CandidateProperties") for c in candidates)
    return candidates


def nodes(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in body["data"]["candidates"]["edges"]]


def test_views_read_every_member_as_the_oracle_says(demo_page: list[dict[str, Any]]) -> None:
    body = execute(build_schema(), PAGE, MemoryAutopilot(demo_page))
    assert "errors" not in body
    expected = [graphql_value(c, shape("AutoMLCandidate")) for c in demo_page]
    assert [without_nulls(node) for node in nodes(body)] == expected


def test_a_container_without_its_image_nulls_that_candidates_containers_only(
    demo_page: list[dict[str, Any]],
) -> None:
    page = copy.deepcopy(demo_page)
    del page[1]["InferenceContainers"][0]["Image"]
    body = execute(build_schema(), PAGE, MemoryAutopilot(page))

    [error] = body["errors"]
    assert error["path"] == ["candidates", "edges", 1, "node", "inferenceContainers", 0, "image"]
    assert error["extensions"]["code"] == "INTERNAL"
    broken = nodes(body)[1]
    assert broken["inferenceContainers"] is None
    assert broken["candidateName"] == page[1]["CandidateName"]
    assert broken["candidateProperties"] is not None
    intact = execute(build_schema(), PAGE, MemoryAutopilot(demo_page))
    assert nodes(body)[0] == nodes(intact)[0]
    assert nodes(body)[2] == nodes(intact)[2]

    [raw] = execute(RAW, PAGE, MemoryAutopilot(page))["errors"]
    assert raw["message"] == "Cannot return null for non-nullable field Container.image."
    assert raw["path"] == error["path"]
    assert raw["locations"] == error["locations"]


def test_artifacts_without_explainability_null_only_the_artifact_locations(
    demo_page: list[dict[str, Any]],
) -> None:
    page = copy.deepcopy(demo_page)
    del page[0]["CandidateProperties"]["CandidateArtifactLocations"]["Explainability"]
    body = execute(build_schema(), PAGE, MemoryAutopilot(page))

    [error] = body["errors"]
    assert error["path"] == [
        "candidates",
        "edges",
        0,
        "node",
        "candidateProperties",
        "candidateArtifactLocations",
        "explainability",
    ]
    properties = nodes(body)[0]["candidateProperties"]
    assert properties["candidateArtifactLocations"] is None
    assert properties["candidateMetrics"]  # the metrics beside them stand
    [raw] = execute(RAW, PAGE, MemoryAutopilot(page))["errors"]
    assert raw["message"] == (
        "Cannot return null for non-nullable field CandidateArtifactLocations.explainability."
    )


def test_a_candidate_without_its_name_nulls_as_far_as_the_schema_says(
    demo_page: list[dict[str, Any]],
) -> None:
    """Edges, their nodes and the connection are all non-null: the whole field goes."""
    page = copy.deepcopy(demo_page)
    del page[2]["CandidateName"]
    body = execute(build_schema(), PAGE, MemoryAutopilot(page))
    assert body["data"] is None
    [error] = body["errors"]
    assert error["path"] == ["candidates", "edges", 2, "node", "candidateName"]


def test_an_unselected_missing_member_costs_nothing(demo_page: list[dict[str, Any]]) -> None:
    page = copy.deepcopy(demo_page)
    del page[0]["CandidateSteps"]
    query = '{ candidates(jobName: "j") { edges { node { candidateName } } } }'
    body = execute(build_schema(), query, MemoryAutopilot(page))
    assert "errors" not in body
    assert [n["candidateName"] for n in nodes(body)] == [c["CandidateName"] for c in page]


def test_structures_nested_in_a_planned_view_are_read_from_their_dicts(
    demo_page: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the candidates are views (the resolver makes them); their steps, containers,
    properties, metrics and artifact locations are completed from SageMaker's dicts."""
    made: Counter[str] = Counter()
    of = View.of.__func__  # type: ignore[attr-defined]

    def counting(cls: type[View], data: Any) -> View:
        made[cls.__name__] += 1
        return of(cls, data)  # type: ignore[no-any-return]

    monkeypatch.setattr(View, "of", classmethod(counting))
    planned = execute(build_schema(), PAGE, MemoryAutopilot(demo_page))
    assert made == Counter({"Candidate": len(demo_page)})

    monkeypatch.undo()
    stock = build_schema()
    stock.execution_context_class = StrawberryGraphQLCoreExecutionContext
    assert planned == execute(stock, PAGE, MemoryAutopilot(demo_page))
