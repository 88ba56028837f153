"""CreateAutoMLJob (V1) requests in CreateAutoMLJobV2's terms, and tabular V2 requests back.

AWS treats a V1 job as a tabular V2 job and lets either API describe it where the shapes allow,
so the store creates every job from the V2 form and describes each job with either shape.
"""

from __future__ import annotations

from gateway.local.wire import present
from gateway.shapes import AWS

_V2_CHANNEL_MEMBERS = ("ChannelType", "ContentType", "CompressionType", "DataSource")
"""The members of a V1 AutoMLChannel that a V2 AutoMLJobChannel has too."""


def v1_to_v2(request: AWS) -> AWS:
    """A CreateAutoMLJob request as the CreateAutoMLJobV2 request AWS treats it as."""
    channels = request["InputDataConfig"]
    job_config = request.get("AutoMLJobConfig", {})
    generation = job_config.get("CandidateGenerationConfig", {})
    tabular = present(
        CandidateGenerationConfig=present(AlgorithmsConfig=generation.get("AlgorithmsConfig")),
        CompletionCriteria=job_config.get("CompletionCriteria"),
        FeatureSpecificationS3Uri=generation.get("FeatureSpecificationS3Uri"),
        Mode=job_config.get("Mode"),
        GenerateCandidateDefinitionsOnly=request.get("GenerateCandidateDefinitionsOnly"),
        ProblemType=request.get("ProblemType"),
        TargetAttributeName=channels[0]["TargetAttributeName"],
        SampleWeightAttributeName=next(
            (c["SampleWeightAttributeName"] for c in channels if "SampleWeightAttributeName" in c),
            None,
        ),
    )
    return present(
        AutoMLJobName=request["AutoMLJobName"],
        AutoMLJobInputDataConfig=[
            {k: c[k] for k in _V2_CHANNEL_MEMBERS if k in c} for c in channels
        ],
        OutputDataConfig=request["OutputDataConfig"],
        AutoMLProblemTypeConfig={"TabularJobConfig": tabular},
        RoleArn=request["RoleArn"],
        SecurityConfig=job_config.get("SecurityConfig"),
        AutoMLJobObjective=request.get("AutoMLJobObjective"),
        ModelDeployConfig=request.get("ModelDeployConfig"),
        DataSplitConfig=job_config.get("DataSplitConfig"),
    )


def v2_to_v1(request: AWS) -> AWS:
    """A tabular CreateAutoMLJobV2 request in CreateAutoMLJob's terms."""
    tabular = request["AutoMLProblemTypeConfig"]["TabularJobConfig"]
    extra = present(
        TargetAttributeName=tabular["TargetAttributeName"],
        SampleWeightAttributeName=tabular.get("SampleWeightAttributeName"),
    )
    generation = tabular.get("CandidateGenerationConfig", {})
    return present(
        AutoMLJobName=request["AutoMLJobName"],
        InputDataConfig=[{**c, **extra} for c in request["AutoMLJobInputDataConfig"]],
        OutputDataConfig=request["OutputDataConfig"],
        ProblemType=tabular.get("ProblemType"),
        AutoMLJobObjective=request.get("AutoMLJobObjective"),
        AutoMLJobConfig=present(
            CompletionCriteria=tabular.get("CompletionCriteria"),
            SecurityConfig=request.get("SecurityConfig"),
            CandidateGenerationConfig=present(
                FeatureSpecificationS3Uri=tabular.get("FeatureSpecificationS3Uri"),
                AlgorithmsConfig=generation.get("AlgorithmsConfig"),
            ),
            DataSplitConfig=request.get("DataSplitConfig"),
            Mode=tabular.get("Mode"),
        ),
        RoleArn=request["RoleArn"],
        GenerateCandidateDefinitionsOnly=tabular.get("GenerateCandidateDefinitionsOnly"),
        ModelDeployConfig=request.get("ModelDeployConfig"),
    )
