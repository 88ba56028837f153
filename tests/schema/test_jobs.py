"""autoMLJob(name:) through real HTTP, against DescribeAutoMLJobV2 from boto3."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from tests.aws_shapes import CANDIDATE_FIELDS, graphql_value, screaming_snake, shape, without_nulls
from tests.gateway_server import GraphQLClient

JOB = (
    CANDIDATE_FIELDS
    + """
query ($name: String!) {
  autoMLJob(name: $name) {
    autoMLJobName autoMLJobArn autoMLJobStatus autoMLJobSecondaryStatus
    autoMLProblemTypeConfigName problemType
    autoMLJobObjective { metricName }
    completionCriteria {
      maxCandidates maxRuntimePerTrainingJobInSeconds maxAutoMLJobRuntimeInSeconds
    }
    creationTime endTime lastModifiedTime failureReason partialFailureReasons
    bestCandidate { ...AllCandidateFields }
  }
}
"""
)


def test_every_demo_job_matches_describe_auto_ml_job_v2(
    gateway: GraphQLClient, sagemaker_client: Any, demo_jobs: list[str]
) -> None:
    statuses = set()
    for name in demo_jobs:
        described = sagemaker_client.describe_auto_ml_job_v2(AutoMLJobName=name)
        job = gateway.data(JOB, name=name)["autoMLJob"]
        statuses.add(job["autoMLJobStatus"])

        assert job["autoMLJobName"] == name
        assert job["autoMLJobArn"] == described["AutoMLJobArn"]
        assert job["autoMLJobStatus"] == screaming_snake(described["AutoMLJobStatus"])
        assert job["autoMLJobSecondaryStatus"] == screaming_snake(
            described["AutoMLJobSecondaryStatus"]
        )
        assert job["autoMLProblemTypeConfigName"] == screaming_snake(
            described["AutoMLProblemTypeConfigName"]
        )
        assert job["creationTime"] == described["CreationTime"].astimezone(UTC).isoformat()
        assert job["failureReason"] == described.get("FailureReason")
        resolved = described.get("ResolvedAttributes", {})
        objective = resolved.get("AutoMLJobObjective") or described.get("AutoMLJobObjective")
        if objective:
            assert job["autoMLJobObjective"]["metricName"] == screaming_snake(
                objective["MetricName"]
            )
        criteria = resolved.get("CompletionCriteria", {})
        if "MaxCandidates" in criteria:
            assert job["completionCriteria"]["maxCandidates"] == criteria["MaxCandidates"]

        if "BestCandidate" in described:
            expected = graphql_value(described["BestCandidate"], shape("AutoMLCandidate"))
            assert without_nulls(job["bestCandidate"]) == expected
        else:
            assert job["bestCandidate"] is None
    assert {"COMPLETED", "IN_PROGRESS", "FAILED", "STOPPED"} <= statuses
