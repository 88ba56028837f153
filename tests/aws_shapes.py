"""An independent oracle: what the gateway must answer for a SageMaker response.

It walks botocore's output shape next to the data, so it knows which strings are enums
and which members are timestamps or maps, without sharing any code with the gateway.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

import botocore.session
from botocore.model import Shape

STEP_TYPE_PREFIX = "AWS::SageMaker::"
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[0-9])(?=[a-z])")


@cache
def sagemaker_model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def shape(name: str) -> Shape:
    return sagemaker_model().shape_for(name)


def screaming_snake(value: str) -> str:
    """GraphQL enum name of an AWS enum value: ``InProgress`` -> ``IN_PROGRESS``."""
    value = value.removeprefix(STEP_TYPE_PREFIX)
    words = re.sub(
        r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[0-9])(?=[a-z])", "_", value
    )
    return words.upper()


def graphql_value(data: Any, of: Shape) -> Any:
    """The JSON the gateway must return for ``data`` of botocore shape ``of``."""
    if of.type_name == "structure":
        return {
            name[0].lower() + name[1:]: graphql_value(data[name], of.members[name])
            for name in of.members
            if name in data
        }
    if of.type_name == "list":
        return [graphql_value(item, of.member) for item in data]
    if of.type_name == "map":
        if of.value.type_name == "string":  # an environment: name/value pairs by name
            return [{"name": k, "value": v} for k, v in sorted(data.items())]
        return [  # containers per processing unit
            {"processingUnit": screaming_snake(k), "containers": graphql_value(v, of.value)}
            for k, v in sorted(data.items())
        ]
    if of.type_name == "timestamp":
        assert isinstance(data, datetime)
        return data.astimezone(UTC).isoformat()
    if of.type_name == "string" and of.enum:
        return screaming_snake(data)
    return data


CANDIDATE_FIELDS = """
fragment AllCandidateFields on Candidate {
  candidateName
  candidateStatus
  objectiveStatus
  finalAutoMLJobObjectiveMetric { type metricName value standardMetricName }
  candidateSteps { candidateStepType candidateStepArn candidateStepName }
  inferenceContainers { image modelDataUrl environment { name value } }
  creationTime
  endTime
  lastModifiedTime
  failureReason
  candidateProperties {
    candidateArtifactLocations { explainability modelInsights backtestResults }
    candidateMetrics { metricName standardMetricName value set }
  }
  inferenceContainerDefinitions {
    processingUnit
    containers { image modelDataUrl environment { name value } }
  }
}
"""


def without_nulls(value: Any) -> Any:
    """GraphQL answers null where AWS omits a member; compare what is present."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value
