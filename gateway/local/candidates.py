"""Deterministic, I/O-free generation of Autopilot candidates for the local SageMaker.

Everything here is a pure function of a :class:`JobSpec` and a job status: the same job name
always yields the same candidates (seeded from a SHA-256 of the name, never Python's salted
``hash()``), so seeded demo data and API-created jobs are reproducible across processes.

The output is wire-shaped (``AutoMLCandidate`` dicts as botocore's service model defines them),
so the store can send candidates as they are.

Timeline model (the local SageMaker has no clock-driven lifecycle): a job's candidates are
launched in waves of parallel training jobs after a data-analysis phase. A job that is still
running (or was stopped/failed) is a *snapshot* of that timeline: only candidates created before
the snapshot exist, candidates that ended before it keep their outcome, the rest are running
(InProgress/Stopping) or were cut off (Stopped). Because every status is derived from the same
plan, moving a job from InProgress to Stopped only changes the candidates that were running.

Candidate outcomes mirror Autopilot's tuning: most complete; some fail (ObjectiveStatus Failed,
a FailureReason, no final metric); some are stopped early by the tuner because they were not
promising (CandidateStatus Stopped, but with the metric they reached, ObjectiveStatus
Succeeded). Candidates cut off by a job stop or failure are Stopped without a metric.
"""

from __future__ import annotations

import hashlib
import math
import random
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

Json = dict[str, Any]

ProblemKind = Literal[
    "BinaryClassification",
    "MulticlassClassification",
    "Regression",
    "TimeSeriesForecasting",
    "TextClassification",
    "ImageClassification",
]
JobStatus = Literal["Completed", "InProgress", "Failed", "Stopped", "Stopping"]

TABULAR_KINDS: Final[frozenset[str]] = frozenset(
    {"BinaryClassification", "MulticlassClassification", "Regression"}
)

# AutoMLJobObjective.MetricName docs in botocore's model: available and default objectives.
ALLOWED_OBJECTIVES: Final[dict[str, tuple[str, ...]]] = {
    "BinaryClassification": ("Accuracy", "AUC", "BalancedAccuracy", "F1", "Precision", "Recall"),
    "MulticlassClassification": (
        "Accuracy",
        "BalancedAccuracy",
        "F1macro",
        "PrecisionMacro",
        "RecallMacro",
    ),
    "Regression": ("MAE", "MSE", "R2", "RMSE"),
    "TimeSeriesForecasting": ("RMSE", "AverageWeightedQuantileLoss", "MASE", "MAPE", "WAPE"),
    "TextClassification": ("Accuracy",),
    "ImageClassification": ("Accuracy",),
}
DEFAULT_OBJECTIVE: Final[dict[str, str]] = {
    "BinaryClassification": "F1",
    "MulticlassClassification": "Accuracy",
    "Regression": "MSE",
    "TimeSeriesForecasting": "AverageWeightedQuantileLoss",
    "TextClassification": "Accuracy",
    "ImageClassification": "Accuracy",
}
_MINIMIZED: Final[frozenset[str]] = frozenset(
    {"MSE", "RMSE", "MAE", "MAPE", "MASE", "WAPE", "AverageWeightedQuantileLoss", "LogLoss"}
    | {"InferenceLatency"}
)
# Members of AutoMLMetricEnum; anything else (LogLoss, InferenceLatency) is reported with
# StandardMetricName only, because MetricDatum.MetricName is typed AutoMLMetricEnum.
_AUTOML_METRIC_ENUM: Final[frozenset[str]] = frozenset(
    {"Accuracy", "MSE", "F1", "F1macro", "AUC", "RMSE", "BalancedAccuracy", "R2", "Recall"}
    | {"RecallMacro", "Precision", "PrecisionMacro", "MAE", "MAPE", "MASE", "WAPE"}
    | {"AverageWeightedQuantileLoss"}
)

# ECR registries of SageMaker's first-party images (sklearn/xgboost share them) and of the
# Deep Learning Containers, from the SageMaker Python SDK's image_uri_config. Unknown regions
# fall back to the us-east-1 registry.
_FIRST_PARTY_REGISTRY: Final[dict[str, str]] = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ca-central-1": "341280168497",
    "cn-north-1": "450853457545",
    "cn-northwest-1": "451049120500",
    "eu-central-1": "492215442770",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-gov-west-1": "414596584902",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}
_DLC_REGISTRY_EXCEPTIONS: Final[dict[str, str]] = {
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "cn-north-1": "727897471807",
    "cn-northwest-1": "727897471807",
    "eu-south-1": "692866216735",
    "me-south-1": "217643126080",
    "us-gov-west-1": "442386744353",
}
_DLC_REGISTRY: Final = "763104351884"
_BUILTIN_ALGORITHM_REGISTRY: Final[dict[str, str]] = {  # linear-learner and friends
    "ap-east-1": "286214385809",
    "ap-northeast-1": "351501993468",
    "ap-northeast-2": "835164637446",
    "ap-south-1": "991648021394",
    "ap-southeast-1": "475088953585",
    "ap-southeast-2": "712309505854",
    "ca-central-1": "469771592824",
    "cn-north-1": "390948362332",
    "cn-northwest-1": "387376663083",
    "eu-central-1": "664544806723",
    "eu-north-1": "669576153137",
    "eu-west-1": "438346466558",
    "eu-west-2": "644912444149",
    "eu-west-3": "749696950732",
    "me-south-1": "249704162688",
    "sa-east-1": "855470959533",
    "us-east-1": "382416733822",
    "us-east-2": "404615174143",
    "us-gov-west-1": "226302683700",
    "us-west-1": "632365934929",
    "us-west-2": "174872318107",
}

_TABULAR_ALGORITHMS: Final[tuple[str, ...]] = (
    "xgboost",
    "linear-learner",
    "mlp",
    "lightgbm",
    "catboost",
    "randomforest",
    "extra-trees",
    "nn-torch",
    "fastai",
)
_DEFAULT_TABULAR_ALGORITHMS: Final = ("xgboost", "xgboost", "lightgbm", "catboost", "randomforest")
_DEFAULT_FORECAST_ALGORITHMS: Final = ("cnn-qr", "deepar", "prophet", "npts", "arima", "ets")

_CANDIDATE_FAILURES: Final[tuple[str, ...]] = (
    "AlgorithmError: Exception during training: Out of memory. Please use a larger instance "
    "type or reduce the size of the training data.",
    "CapacityError: Unable to provision requested ML compute capacity. Please retry using a "
    "different ML instance type.",
    "AlgorithmError: framework error: XGBoostError: Check failed: valid: Input data contains "
    "`inf` or a value too large for the objective.",
    "ClientError: Training job failed because the transformed training data has no features "
    "with non-zero variance.",
    "InternalServerError: We encountered an internal error. Please try again.",
)

_SETTLE: Final = timedelta(seconds=12)
"""How long after a training job ends its candidate is last modified (metrics, artifacts)."""

STOPPED_OBJECTIVE_STATUS: Final = "Failed"
"""ObjectiveStatus of a candidate that was cut off by a job stop/failure before reporting a
final metric (AWS does not document this case; 'Failed' says the objective is not coming)."""


@dataclass(frozen=True)
class JobSpec:
    """What candidate generation needs to know about a job (all of it from the request)."""

    name: str
    account_id: str
    region: str
    problem: ProblemKind
    objective: str
    max_candidates: int
    output_path: str
    creation_time: datetime
    algorithms: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobRun:
    """A job's candidates and timestamps as of a given status."""

    candidates: list[Json]
    last_modified_time: datetime
    end_time: datetime | None


@dataclass(frozen=True)
class _Plan:
    """One candidate's status-independent destiny."""

    index: int
    name: str
    created: datetime
    duration: timedelta
    fate: Literal["ok", "early_stop", "fail"]
    quality: float
    algorithm: str
    pipeline: int
    failure_reason: str
    rng_seed: int


def objective_type(metric: str) -> Literal["Maximize", "Minimize"]:
    """Whether a larger value of ``metric`` is better."""
    return "Minimize" if metric in _MINIMIZED else "Maximize"


def stable_seed(*parts: object) -> int:
    """A process-independent 64-bit seed (Python's ``hash()`` is salted per process)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _hex(*parts: object, length: int = 32) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:length]


def partition(region: str) -> str:
    """The ARN partition of a region."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _ecr(registry: str, region: str, repository: str) -> str:
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{registry}.dkr.ecr.{region}.{domain}/{repository}"


def _first_party_image(region: str, repository: str) -> str:
    registry = _FIRST_PARTY_REGISTRY.get(region, _FIRST_PARTY_REGISTRY["us-east-1"])
    return _ecr(registry, region, repository)


def _dlc_image(region: str, repository: str) -> str:
    return _ecr(_DLC_REGISTRY_EXCEPTIONS.get(region, _DLC_REGISTRY), region, repository)


def name_prefix(job_name: str) -> str:
    """The job-name prefix AWS puts in front of candidate and step names."""
    return job_name[:20].rstrip("-")


def _resource_name(prefix: str, middle: str, digest: str) -> str:
    """``<prefix>-<middle>-<digest>`` trimmed to SageMaker's 63-character job-name limit."""
    room = 63 - len(prefix) - len(middle) - 2
    return f"{prefix}-{middle}-{digest[: max(room, 8)]}"


def _metric_value(value: float) -> float:
    """Round to 6 significant digits, as a JSON-friendly float."""
    return float(f"{value:.6g}")


def _clip(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return min(max(value, low), high)


def _harmonic_partner(f1: float, precision: float) -> float:
    """The recall that makes ``f1`` the harmonic mean of ``precision`` and it."""
    denominator = 2 * precision - f1
    return _clip(f1 * precision / denominator if denominator > 0 else f1, 0.01, 1.0)


def _validation_metrics(
    problem: str, quality: float, job_rng: random.Random, rng: random.Random
) -> dict[str, float]:
    """Plausible, mutually consistent validation metrics for a candidate of ``quality`` in [0, 1].

    ``job_rng`` is drawn in a fixed order so job-level baselines are the same for all candidates.
    """
    gap = 1.0 - quality
    if problem == "BinaryClassification":
        auc_top, acc_top = job_rng.uniform(0.86, 0.97), job_rng.uniform(0.85, 0.96)
        f1_top, ll_top = job_rng.uniform(0.62, 0.9), job_rng.uniform(0.18, 0.35)
        f1 = _clip(f1_top - 0.3 * gap + rng.uniform(-0.01, 0.01), 0.05)
        precision = _clip(f1 + rng.uniform(-0.06, 0.08), 0.05)
        auc = _clip(auc_top - 0.18 * gap + rng.uniform(-0.005, 0.005), 0.5)
        return {
            "Accuracy": _clip(acc_top - 0.1 * gap + rng.uniform(-0.005, 0.005)),
            "AUC": auc,
            "BalancedAccuracy": _clip((auc + f1) / 2),
            "F1": f1,
            "Precision": precision,
            "Recall": _harmonic_partner(f1, precision),
            "LogLoss": ll_top + 0.5 * gap + rng.uniform(0, 0.02),
        }
    if problem == "MulticlassClassification":
        acc_top = job_rng.uniform(0.72, 0.93)
        accuracy = _clip(acc_top - 0.2 * gap + rng.uniform(-0.01, 0.01), 0.05)
        f1 = _clip(accuracy - rng.uniform(0.02, 0.08), 0.01)
        precision = _clip(f1 + rng.uniform(-0.04, 0.06), 0.01)
        recall = _harmonic_partner(f1, precision)
        return {
            "Accuracy": accuracy,
            "BalancedAccuracy": recall,  # balanced accuracy is the macro-averaged recall
            "F1macro": f1,
            "PrecisionMacro": precision,
            "RecallMacro": recall,
            "LogLoss": 0.45 + 0.9 * gap + rng.uniform(0, 0.05),
        }
    if problem == "Regression":
        sigma = 10 ** job_rng.uniform(0.0, 5.0)  # the target's standard deviation
        rmse = sigma * (0.28 + 0.45 * gap + rng.uniform(0, 0.02))
        return {
            "MAE": rmse * rng.uniform(0.62, 0.8),
            "MSE": rmse * rmse,
            "R2": 1.0 - (rmse / sigma) ** 2,
            "RMSE": rmse,
        }
    if problem == "TimeSeriesForecasting":
        sigma = 10 ** job_rng.uniform(0.5, 4.0)
        wql = 0.06 + 0.25 * gap + rng.uniform(0, 0.01)
        wape = wql * rng.uniform(1.1, 1.4)
        return {
            "AverageWeightedQuantileLoss": wql,
            "MAPE": wape * rng.uniform(1.0, 1.6),
            "WAPE": wape,
            "RMSE": sigma * (0.2 + 0.5 * gap),
            "MASE": 0.55 + 0.9 * gap + rng.uniform(0, 0.03),
        }
    # Text and image classification.
    acc_top = job_rng.uniform(0.8, 0.96)
    accuracy = _clip(acc_top - 0.15 * gap + rng.uniform(-0.01, 0.01), 0.05)
    f1 = _clip(accuracy - rng.uniform(0.01, 0.05), 0.01)
    precision = _clip(f1 + rng.uniform(-0.03, 0.04), 0.01)
    return {
        "Accuracy": accuracy,
        "F1macro": f1,
        "PrecisionMacro": precision,
        "RecallMacro": _harmonic_partner(f1, precision),
        "LogLoss": 0.2 + 0.7 * gap + rng.uniform(0, 0.05),
    }


def _shifted(metric: str, value: float, amount: float) -> float:
    """``value`` moved by a relative ``amount`` in the 'better' direction (negative = worse)."""
    if objective_type(metric) == "Minimize":
        return max(value * (1 - amount), 0.0)
    if metric in {"R2"}:
        return min(value + amount * (1 - value), 1.0)
    return _clip(value * (1 + amount))


def _candidate_metrics(problem: str, plan: _Plan, validation: dict[str, float]) -> list[Json]:
    rng = random.Random(plan.rng_seed ^ 0x5EED)
    data: list[Json] = []
    for metric, value in validation.items():
        train = _shifted(metric, value, rng.uniform(0.01, 0.06))
        test = _shifted(metric, value, rng.uniform(-0.03, 0.01))
        for metric_set, metric_value in (("Train", train), ("Validation", value), ("Test", test)):
            datum: Json = {"StandardMetricName": metric, "Value": _metric_value(metric_value)}
            if metric in _AUTOML_METRIC_ENUM:
                datum["MetricName"] = metric
            datum["Set"] = metric_set
            data.append(datum)
    if problem != "TimeSeriesForecasting":
        latency = {"xgboost": 0.012, "linear-learner": 0.006}.get(plan.algorithm, 0.035)
        data.append(
            {
                "StandardMetricName": "InferenceLatency",
                "Value": _metric_value(latency * rng.uniform(0.8, 2.5)),
                "Set": "Validation",
            }
        )
    return data


def _tabular_algorithms(spec: JobSpec) -> tuple[str, ...]:
    chosen = tuple(a for a in spec.algorithms if a in _TABULAR_ALGORITHMS)
    return chosen or _DEFAULT_TABULAR_ALGORITHMS


def _plans(spec: JobSpec) -> tuple[list[_Plan], timedelta, timedelta]:
    """Every candidate's destiny, plus the data-analysis phase and the wave gap."""
    job_rng = random.Random(stable_seed(spec.name, "job"))
    tabular = spec.problem in TABULAR_KINDS
    analysis = timedelta(seconds=job_rng.randint(12 * 60, 35 * 60))
    if tabular:
        wave_gap = timedelta(seconds=job_rng.randint(5 * 60, 14 * 60))
    else:
        wave_gap = timedelta(seconds=job_rng.randint(45 * 60, 150 * 60))
    tuning_id = "".join(job_rng.choices(string.ascii_letters + string.digits, k=10))
    prefix = name_prefix(spec.name)
    algorithms = _tabular_algorithms(spec) if tabular else ("",)
    parallelism = 10
    plans: list[_Plan] = []
    for index in range(spec.max_candidates):
        rng = random.Random(stable_seed(spec.name, "candidate", index))
        wave = index // parallelism
        created = (
            spec.creation_time + analysis + wave * wave_gap + timedelta(seconds=rng.randint(0, 30))
        )
        roll = rng.random()
        fate: Literal["ok", "early_stop", "fail"]
        if not tabular or index == 0:
            fate = "ok"
        else:
            fate = "fail" if roll < 0.08 else "early_stop" if roll < 0.15 else "ok"
        low, high = {"ok": (0.55, 0.95), "early_stop": (0.15, 0.45), "fail": (0.02, 0.3)}[fate]
        duration = wave_gap * rng.uniform(low, high)
        progress = index / max(spec.max_candidates - 1, 1)
        quality = _clip(0.25 * rng.random() + 0.5 * math.sqrt(progress) + 0.25 * rng.random())
        if not tabular:
            quality = _clip(0.75 + 0.25 * rng.random())
        if fate == "early_stop":
            quality *= 0.5
        plans.append(
            _Plan(
                index=index,
                name=f"{prefix}-{tuning_id}-{index + 1:03d}-{_hex(spec.name, index, length=8)}",
                created=created.replace(microsecond=0),
                duration=timedelta(seconds=int(duration.total_seconds())),
                fate=fate,
                quality=quality,
                algorithm=rng.choice(algorithms),
                pipeline=index % min(spec.max_candidates, parallelism),
                failure_reason=rng.choice(_CANDIDATE_FAILURES),
                rng_seed=stable_seed(spec.name, "candidate-detail", index),
            )
        )
    return plans, analysis, wave_gap


def _snapshot(spec: JobSpec, status: JobStatus, analysis: timedelta, gap: timedelta) -> datetime:
    """The virtual moment a non-completed job is observed at (stopped or failed)."""
    waves = max(1, math.ceil(spec.max_candidates / 10))
    fraction = 0.3 if status == "Failed" else 0.6
    wave = max(1, math.ceil(waves * fraction)) - 1
    into_wave = max(timedelta(seconds=45), gap * 0.35)
    return spec.creation_time + analysis + wave * gap + into_wave


def _steps(spec: JobSpec, plan: _Plan) -> list[Json]:
    prefix = name_prefix(spec.name)
    arn = f"arn:{partition(spec.region)}:sagemaker:{spec.region}:{spec.account_id}"
    if spec.problem in TABULAR_KINDS:
        processing = _resource_name(prefix, "db-1", _hex(spec.name, "db"))
        dpp = f"dpp{plan.pipeline}"
        preprocessing = _resource_name(prefix, f"{dpp}-1", _hex(spec.name, dpp))
        transform = _resource_name(prefix, f"{dpp}-rpb-1", _hex(spec.name, dpp, "rpb"))
        steps = [
            ("ProcessingJob", "processing-job", processing),
            ("TrainingJob", "training-job", preprocessing),
            ("TransformJob", "transform-job", transform),
            ("TrainingJob", "training-job", plan.name),
        ]
    else:
        middle = "ts-dp-1" if spec.problem == "TimeSeriesForecasting" else "dv-1"
        evaluation = "ts-bt-1" if spec.problem == "TimeSeriesForecasting" else "eval-1"
        steps = [
            ("ProcessingJob", "processing-job", _resource_name(prefix, middle, _hex(spec.name))),
            ("TrainingJob", "training-job", plan.name),
            (
                "TransformJob",
                "transform-job",
                _resource_name(prefix, evaluation, _hex(spec.name, plan.index)),
            ),
        ]
    return [
        {
            "CandidateStepType": f"AWS::SageMaker::{kind}",
            "CandidateStepArn": f"{arn}:{resource}/{name.lower()}",
            "CandidateStepName": name,
        }
        for kind, resource, name in steps
    ]


def _containers(spec: JobSpec, plan: _Plan) -> list[Json]:
    """InferenceContainers: data processing, algorithm and (classification) label decoding."""
    out = f"{spec.output_path.rstrip('/')}/{spec.name}"
    region = spec.region
    sklearn = _first_party_image(region, "sagemaker-sklearn-automl:2.5-1-cpu-py3")
    prefix = name_prefix(spec.name)
    dpp = f"dpp{plan.pipeline}"
    processing = {
        "Image": sklearn,
        "ModelDataUrl": f"{out}/data-processor-models/"
        f"{_resource_name(prefix, f'{dpp}-1', _hex(spec.name, dpp))}/output/model.tar.gz",
        "Environment": {
            "AUTOML_SPARSE_ENCODE_RECORDIO_PROTOBUF": "1",
            "AUTOML_TRANSFORM_MODE": "feature-transform",
            "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "application/x-recordio-protobuf",
            "SAGEMAKER_PROGRAM": "sagemaker_serve",
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
        },
    }
    if spec.problem == "TimeSeriesForecasting":
        return [
            processing,
            {
                "Image": _dlc_image(region, "autogluon-inference:1.1.1-cpu-py311-ubuntu22.04"),
                "ModelDataUrl": f"{out}/forecasting-models/{plan.name}/output/model.tar.gz",
                "Environment": {
                    "SAGEMAKER_PROGRAM": "tabular_serve.py",
                    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                    "AUTOML_FORECAST_ALGORITHMS": ",".join(
                        spec.algorithms or _DEFAULT_FORECAST_ALGORITHMS
                    ),
                },
            },
        ]
    classification = spec.problem != "Regression"
    if plan.algorithm == "xgboost":
        image = _first_party_image(region, "sagemaker-xgboost:1.7-1")
    elif plan.algorithm == "linear-learner":
        registry = _BUILTIN_ALGORITHM_REGISTRY.get(region, _BUILTIN_ALGORITHM_REGISTRY["us-east-1"])
        image = _ecr(registry, region, "linear-learner:1")
    else:
        image = _dlc_image(region, "autogluon-inference:1.1.1-cpu-py311-ubuntu22.04")
    algorithm_env = {
        "MAX_CONTENT_LENGTH": "20971520",
        "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
    }
    if classification:
        algorithm_env["SAGEMAKER_INFERENCE_OUTPUT"] = "predicted_label"
        algorithm_env["SAGEMAKER_INFERENCE_SUPPORTED"] = "predicted_label,probability,probabilities"
    containers: list[Json] = [
        processing,
        {
            "Image": image,
            "ModelDataUrl": f"{out}/tuning/{prefix}-{dpp}-{plan.algorithm}/{plan.name}"
            "/output/model.tar.gz",
            "Environment": algorithm_env,
        },
    ]
    if classification:
        containers.append(
            {
                "Image": sklearn,
                "ModelDataUrl": processing["ModelDataUrl"],
                "Environment": {
                    "AUTOML_TRANSFORM_MODE": "inverse-label-transform",
                    "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
                    "SAGEMAKER_INFERENCE_INPUT": "predicted_label",
                    "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
                    "SAGEMAKER_INFERENCE_SUPPORTED": "predicted_label,probability,labels,"
                    "probabilities",
                    "SAGEMAKER_PROGRAM": "sagemaker_serve",
                    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                },
            }
        )
    return containers


def _deep_learning_containers(spec: JobSpec, plan: _Plan) -> dict[str, list[Json]]:
    """InferenceContainerDefinitions for V2 text/image classification, keyed by CPU and GPU."""
    model = f"{spec.output_path.rstrip('/')}/{spec.name}/training/{plan.name}/output/model.tar.gz"
    env = {
        "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
        "SAGEMAKER_MODEL_SERVER_TIMEOUT": "3600",
        "SAGEMAKER_PROGRAM": "inference.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
    }
    if spec.problem == "TextClassification":
        repo = "huggingface-pytorch-inference:2.1.0-transformers4.37.0"
        cpu, gpu = f"{repo}-cpu-py310-ubuntu22.04", f"{repo}-gpu-py310-cu118-ubuntu20.04"
    else:
        cpu = "pytorch-inference:2.1.0-cpu-py310-ubuntu20.04-sagemaker"
        gpu = "pytorch-inference:2.1.0-gpu-py310-cu118-ubuntu20.04-sagemaker"
    return {
        unit: [{"Image": _dlc_image(spec.region, image), "ModelDataUrl": model, "Environment": env}]
        for unit, image in (("CPU", cpu), ("GPU", gpu))
    }


def _artifacts(spec: JobSpec, plan: _Plan) -> Json:
    docs = f"{spec.output_path.rstrip('/')}/{spec.name}/documentation"
    locations = {
        "Explainability": f"{docs}/explainability/{plan.name}/output",
        "ModelInsights": f"{docs}/model_insights/{plan.name}/output",
    }
    if spec.problem == "TimeSeriesForecasting":
        locations["BacktestResults"] = f"{docs}/backtest_results/{plan.name}/output"
    return locations


def _finished(spec: JobSpec, plan: _Plan, job_rng_seed: int) -> Json:
    """A candidate whose training ended on its own (Completed, early-Stopped or Failed)."""
    end = plan.created + plan.duration
    candidate: Json = {"CandidateName": plan.name}
    if plan.fate == "fail":
        candidate.update(
            ObjectiveStatus="Failed",
            CandidateSteps=_steps(spec, plan),
            CandidateStatus="Failed",
            CreationTime=plan.created,
            EndTime=end,
            LastModifiedTime=end + _SETTLE,
            FailureReason=plan.failure_reason,
        )
        return candidate
    validation = _validation_metrics(
        spec.problem,
        plan.quality,
        random.Random(job_rng_seed),
        random.Random(plan.rng_seed),
    )
    candidate["FinalAutoMLJobObjectiveMetric"] = {
        "Type": objective_type(spec.objective),
        "MetricName": spec.objective,
        "Value": _metric_value(validation[spec.objective]),
        "StandardMetricName": spec.objective,
    }
    containers = _containers(spec, plan)
    properties: Json = {}
    if plan.fate == "ok":
        properties["CandidateArtifactLocations"] = _artifacts(spec, plan)
    properties["CandidateMetrics"] = _candidate_metrics(spec.problem, plan, validation)
    candidate.update(
        ObjectiveStatus="Succeeded",
        CandidateSteps=_steps(spec, plan),
        CandidateStatus="Completed" if plan.fate == "ok" else "Stopped",
        InferenceContainers=containers,
        CreationTime=plan.created,
        EndTime=end,
        LastModifiedTime=end + _SETTLE,
        CandidateProperties=properties,
    )
    if spec.problem in {"TextClassification", "ImageClassification"}:
        definitions = _deep_learning_containers(spec, plan)
        candidate["InferenceContainers"] = definitions["CPU"]
        candidate["InferenceContainerDefinitions"] = definitions
    return candidate


def _unfinished(
    spec: JobSpec, plan: _Plan, status: JobStatus, snapshot: datetime, stop_delay: timedelta
) -> Json:
    """A candidate still training at the snapshot: running, being stopped or cut off."""
    candidate: Json = {"CandidateName": plan.name, "CandidateSteps": _steps(spec, plan)}
    candidate["CreationTime"] = plan.created
    if status in {"Stopped", "Failed"}:
        end = snapshot + stop_delay * ((plan.index % 7 + 1) / 8)
        candidate.update(
            CandidateStatus="Stopped",
            ObjectiveStatus=STOPPED_OBJECTIVE_STATUS,
            EndTime=end,
            LastModifiedTime=end,
        )
        return candidate
    stopping = status == "Stopping" or plan.fate == "early_stop"
    touched = max(plan.created, snapshot - timedelta(seconds=plan.index % 40 + 1))
    candidate.update(
        CandidateStatus="Stopping" if stopping else "InProgress",
        ObjectiveStatus="Pending",
        LastModifiedTime=touched,
    )
    return candidate


def generate_run(spec: JobSpec, status: JobStatus) -> JobRun:
    """The candidates and job timestamps of ``spec`` as observed in ``status``."""
    plans, analysis, gap = _plans(spec)
    job_seed = stable_seed(spec.name, "job-metrics")
    if status == "Completed":
        candidates = [_finished(spec, plan, job_seed) for plan in plans]
        last_end = max((c["EndTime"] for c in candidates), default=spec.creation_time + analysis)
        wrap_up = timedelta(seconds=random.Random(job_seed).randint(8 * 60, 25 * 60))
        end = last_end + wrap_up if candidates else spec.creation_time + analysis
        return JobRun(candidates, last_modified_time=end, end_time=end)

    snapshot = _snapshot(spec, status, analysis, gap)
    stop_delay = timedelta(seconds=90)
    candidates = []
    for plan in plans:
        if plan.created > snapshot:
            continue
        if plan.created + plan.duration + _SETTLE <= snapshot:
            candidates.append(_finished(spec, plan, job_seed))
        else:
            candidates.append(_unfinished(spec, plan, status, snapshot, stop_delay))
    if status in {"Stopped", "Failed"}:
        end = snapshot + stop_delay + timedelta(seconds=30)
        return JobRun(candidates, last_modified_time=end, end_time=end)
    touched = snapshot + timedelta(seconds=20) if status == "Stopping" else snapshot
    return JobRun(candidates, last_modified_time=touched, end_time=None)


def best_candidate(candidates: Sequence[Json], objective: str) -> Json | None:
    """The candidate with the best final objective value (ties: earliest, then by name)."""
    scored = [c for c in candidates if "FinalAutoMLJobObjectiveMetric" in c]
    if not scored:
        return None
    sign = 1.0 if objective_type(objective) == "Minimize" else -1.0
    return min(
        scored,
        key=lambda c: (
            sign * float(c["FinalAutoMLJobObjectiveMetric"]["Value"]),
            c["CreationTime"],
            c["CandidateName"],
        ),
    )
