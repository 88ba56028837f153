"""GraphQL enums against botocore's model, and how values SageMaker adds later degrade."""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Any

import pytest

from gateway.sagemaker.cursors import CursorCodec
from gateway.sagemaker.planner import Listing, Page, PagedList, PageLimits
from gateway.schema import build_schema, enums
from tests.aws_shapes import screaming_snake, shape

AWS_ENUMS: dict[type[Enum], str] = {
    enums.CandidateStatus: "CandidateStatus",
    enums.AutoMLJobStatus: "AutoMLJobStatus",
    enums.AutoMLJobSecondaryStatus: "AutoMLJobSecondaryStatus",
    enums.ObjectiveStatus: "ObjectiveStatus",
    enums.CandidateStepType: "CandidateStepType",
    enums.AutoMLJobObjectiveType: "AutoMLJobObjectiveType",
    enums.AutoMLMetric: "AutoMLMetricEnum",
    enums.AutoMLMetricExtended: "AutoMLMetricExtendedEnum",
    enums.MetricSetSource: "MetricSetSource",
    enums.AutoMLProcessingUnit: "AutoMLProcessingUnit",
    enums.AutoMLProblemTypeConfigName: "AutoMLProblemTypeConfigName",
    enums.ProblemType: "ProblemType",
    enums.CandidateSortBy: "CandidateSortBy",
    enums.SortOrder: "AutoMLSortOrder",
    enums.AutoMLSortBy: "AutoMLSortBy",
}


@pytest.mark.parametrize("enum", AWS_ENUMS, ids=lambda e: e.__name__)
def test_enum_has_every_botocore_value_under_its_screaming_snake_name(enum: type[Enum]) -> None:
    aws_values = shape(AWS_ENUMS[enum]).enum
    members = {m.name: m.value for m in enum if m.name != "UNKNOWN"}
    assert members == {screaming_snake(v): v for v in aws_values}


def test_every_output_enum_can_degrade_to_unknown() -> None:
    for enum in AWS_ENUMS:
        if enum not in (enums.CandidateSortBy, enums.SortOrder, enums.AutoMLSortBy):
            assert enums.from_aws(enum, "SomethingNew").name == "UNKNOWN"


class StubAutopilot:
    """Answers like a SageMaker from the future, with values this gateway has not seen."""

    def __init__(self, candidate: dict[str, Any]) -> None:
        self.candidate = candidate

    def candidates(self, query: Any) -> PagedList[dict[str, Any]]:
        async def fetch(token: str | None, size: int) -> Page[dict[str, Any]]:
            return Page([self.candidate], None)

        listing = Listing(fetch=fetch, key=lambda c: c["CandidateName"], max_page_size=300)
        return PagedList(listing, "stub", CursorCodec(b"k"), PageLimits(25, 1000, 5))


def test_a_value_sagemaker_adds_later_does_not_fail_the_query(
    sagemaker_client: Any, big_job: str
) -> None:
    candidate = sagemaker_client.list_candidates_for_auto_ml_job(
        AutoMLJobName=big_job, MaxResults=1
    )["Candidates"][0]
    candidate["CandidateStatus"] = "Paused"
    candidate["CandidateSteps"][0]["CandidateStepType"] = "AWS::SageMaker::QuantumJob"
    candidate["CandidateProperties"]["CandidateMetrics"][0]["StandardMetricName"] = "Vibes"

    from gateway.schema.context import Context

    result = asyncio.run(
        build_schema().execute(
            """{ candidates(jobName: "j") { edges { node {
                  candidateName candidateStatus
                  candidateSteps { candidateStepType }
                  candidateProperties { candidateMetrics { standardMetricName } }
            } } } }""",
            context_value=Context(request=None, autopilot=StubAutopilot(candidate)),  # type: ignore[arg-type]
        )
    )
    assert result.errors is None
    node = result.data["candidates"]["edges"][0]["node"]  # type: ignore[index]
    assert node["candidateName"] == candidate["CandidateName"]
    assert node["candidateStatus"] == "UNKNOWN"
    assert node["candidateSteps"][0]["candidateStepType"] == "UNKNOWN"
    assert node["candidateProperties"]["candidateMetrics"][0]["standardMetricName"] == "UNKNOWN"
