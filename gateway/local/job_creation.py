"""What a CreateAutoMLJob(V2) request asks for once AWS's defaults and checks are applied.

Both APIs create through :func:`resolve_new_job`, V1 requests translated to the V2 form first;
the one rule that tells them apart is how a tabular job's problem type may be left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

from moto.sagemaker.exceptions import ValidationError

from gateway.local.problem_types import (
    ALLOWED_OBJECTIVES,
    CONFIG_NAMES,
    DEFAULT_OBJECTIVE,
    OBJECTIVE_PROBLEM,
    TABULAR_KINDS,
    ProblemKind,
)
from gateway.shapes import AWS

DEFAULT_MAX_CANDIDATES: Final = 250
"""AWS's MaxCandidates default for tabular jobs. For text/image classification and time-series
forecasting botocore's model says the only supported value is 1, so that is their default."""
DEFAULT_MAX_RUNTIME_PER_TRAINING_JOB: Final = 86_400
DEFAULT_MAX_AUTOML_JOB_RUNTIME: Final = 2_592_000


@dataclass(frozen=True)
class NewJob:
    """A create request's settings, resolved: what the job is and how many candidates it makes."""

    config_key: str  # the AutoMLProblemTypeConfig member, e.g. "TabularJobConfig"
    problem: ProblemKind
    objective: str
    completion: AWS  # CompletionCriteria with AWS's defaults filled in
    definitions_only: bool  # GenerateCandidateDefinitionsOnly: no candidate is trained
    algorithms: tuple[str, ...]

    @property
    def max_candidates(self) -> int:
        return 0 if self.definitions_only else int(self.completion["MaxCandidates"])


def _check_deploy_config(config: Mapping[str, Any] | None) -> None:
    if config and config.get("AutoGenerateEndpointName") and config.get("EndpointName"):
        raise ValidationError(
            "An EndpointName cannot be provided while AutoGenerateEndpointName is True."
        )


def _tabular_problem(
    config: Mapping[str, Any], objective: str | None, version: Literal[1, 2]
) -> ProblemKind:
    """A tabular job's problem type. V2 takes a problem type and an objective together or not
    at all; V1 takes either alone, inferring the problem type from the objective."""
    has_problem = "ProblemType" in config
    if version == 2 and has_problem != (objective is not None):
        raise ValidationError(
            "You must either specify both ProblemType and AutoMLJobObjective, or none of them."
        )
    if has_problem:
        return cast(ProblemKind, config["ProblemType"])
    if objective is None:
        # AWS infers the problem type from the data, which the local SageMaker never reads.
        return "BinaryClassification"
    if objective not in OBJECTIVE_PROBLEM:
        raise ValidationError(
            f"The objective metric {objective} is not supported for tabular problems."
        )
    return OBJECTIVE_PROBLEM[objective]


def _check_objective(problem: str, objective: str) -> None:
    if objective not in ALLOWED_OBJECTIVES[problem]:
        allowed = ", ".join(ALLOWED_OBJECTIVES[problem])
        raise ValidationError(
            f"The objective metric {objective} is not supported for {problem} problems. "
            f"Supported metrics: [{allowed}]."
        )


def _resolved_completion(given: Mapping[str, Any] | None, tabular: bool, name: str) -> AWS:
    given = given or {}
    max_candidates = given.get("MaxCandidates", DEFAULT_MAX_CANDIDATES if tabular else 1)
    if not tabular and max_candidates != 1:
        raise ValidationError(
            f"Value '{max_candidates}' at 'completionCriteria.maxCandidates' is not supported "
            f"for AutoML job {name}: the only supported value for this problem type is 1."
        )
    return {
        "MaxCandidates": max_candidates,
        "MaxRuntimePerTrainingJobInSeconds": given.get(
            "MaxRuntimePerTrainingJobInSeconds", DEFAULT_MAX_RUNTIME_PER_TRAINING_JOB
        ),
        "MaxAutoMLJobRuntimeInSeconds": given.get(
            "MaxAutoMLJobRuntimeInSeconds", DEFAULT_MAX_AUTOML_JOB_RUNTIME
        ),
    }


def _algorithms(candidate_generation: Mapping[str, Any] | None) -> tuple[str, ...]:
    configs = (candidate_generation or {}).get("AlgorithmsConfig") or []
    return tuple(configs[0].get("AutoMLAlgorithms", [])) if configs else ()


def resolve_new_job(request: AWS, *, version: Literal[1, 2]) -> NewJob:
    """``request`` (a valid CreateAutoMLJobV2 request) resolved, or AWS's ValidationException.

    ``version`` is the API the client called; a V1 request comes translated to the V2 form.
    """
    _check_deploy_config(request.get("ModelDeployConfig"))
    ((config_key, config),) = request["AutoMLProblemTypeConfig"].items()
    if config_key == "TextGenerationJobConfig":
        raise ValidationError(
            "The local SageMaker does not emulate the TextGeneration problem type."
        )
    objective = request.get("AutoMLJobObjective", {}).get("MetricName")
    if config_key == "TabularJobConfig":
        problem = _tabular_problem(config, objective, version)
    else:
        problem = cast(ProblemKind, CONFIG_NAMES[config_key])
    objective = objective or DEFAULT_OBJECTIVE[problem]
    _check_objective(problem, objective)
    completion = _resolved_completion(
        config.get("CompletionCriteria"), problem in TABULAR_KINDS, request["AutoMLJobName"]
    )
    return NewJob(
        config_key=config_key,
        problem=problem,
        objective=objective,
        completion=completion,
        definitions_only=bool(config.get("GenerateCandidateDefinitionsOnly")),
        algorithms=_algorithms(config.get("CandidateGenerationConfig")),
    )
