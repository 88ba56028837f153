"""The inference containers of a candidate: the models a deployment of it would run.

Tabular and forecasting candidates are served as an inference pipeline (data processing, the
algorithm, and for classification the label decoding); text and image classification candidates
as one Deep Learning Container, with a CPU and a GPU variant.
"""

from __future__ import annotations

from typing import Final

from gateway.local.images import builtin_algorithm_image, dlc_image, first_party_image
from gateway.local.jobs import JobSpec
from gateway.local.naming import hex_digest, name_prefix, resource_name
from gateway.local.timeline import CandidatePlan
from gateway.shapes import AWS

_SKLEARN_AUTOML: Final = "sagemaker-sklearn-automl:2.5-1-cpu-py3"
_AUTOGLUON: Final = "autogluon-inference:1.1.1-cpu-py311-ubuntu22.04"
_DEFAULT_FORECAST_ALGORITHMS: Final = ("cnn-qr", "deepar", "prophet", "npts", "arima", "ets")
_SERVE_FROM_MODEL: Final = {
    "SAGEMAKER_PROGRAM": "sagemaker_serve",
    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
}


def _algorithm_image(region: str, algorithm: str) -> str:
    if algorithm == "xgboost":
        return first_party_image(region, "sagemaker-xgboost:1.7-1")
    if algorithm == "linear-learner":
        return builtin_algorithm_image(region, "linear-learner:1")
    return dlc_image(region, _AUTOGLUON)


def inference_containers(spec: JobSpec, plan: CandidatePlan) -> list[AWS]:
    """InferenceContainers: data processing, algorithm and (classification) label decoding."""
    out = f"{spec.output_path.rstrip('/')}/{spec.name}"
    region = spec.region
    sklearn = first_party_image(region, _SKLEARN_AUTOML)
    prefix = name_prefix(spec.name)
    dpp = f"dpp{plan.pipeline}"
    processing = {
        "Image": sklearn,
        "ModelDataUrl": f"{out}/data-processor-models/"
        f"{resource_name(prefix, f'{dpp}-1', hex_digest(spec.name, dpp))}/output/model.tar.gz",
        "Environment": {
            "AUTOML_SPARSE_ENCODE_RECORDIO_PROTOBUF": "1",
            "AUTOML_TRANSFORM_MODE": "feature-transform",
            "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "application/x-recordio-protobuf",
            **_SERVE_FROM_MODEL,
        },
    }
    if spec.problem == "TimeSeriesForecasting":
        return [
            processing,
            {
                "Image": dlc_image(region, _AUTOGLUON),
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
    algorithm_env = {
        "MAX_CONTENT_LENGTH": "20971520",
        "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
    }
    if classification:
        algorithm_env["SAGEMAKER_INFERENCE_OUTPUT"] = "predicted_label"
        algorithm_env["SAGEMAKER_INFERENCE_SUPPORTED"] = "predicted_label,probability,probabilities"
    containers: list[AWS] = [
        processing,
        {
            "Image": _algorithm_image(region, plan.algorithm),
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
                    **_SERVE_FROM_MODEL,
                },
            }
        )
    return containers


def deep_learning_containers(spec: JobSpec, plan: CandidatePlan) -> dict[str, list[AWS]]:
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
        unit: [{"Image": dlc_image(spec.region, image), "ModelDataUrl": model, "Environment": env}]
        for unit, image in (("CPU", cpu), ("GPU", gpu))
    }
