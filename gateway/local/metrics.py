"""Autopilot's metrics: which way each one is better, and plausible values for a candidate.

Values are drawn so that a candidate's metrics agree with each other (F1 is the harmonic mean of
its precision and recall, MSE is RMSE squared, ...) and with the candidate's quality, so a
better candidate looks better on every metric, as in a real tuning run.
"""

from __future__ import annotations

import random
from typing import Final, Literal

from gateway.local.problem_types import TABULAR_KINDS
from gateway.shapes import AWS

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


def objective_type(metric: str) -> Literal["Maximize", "Minimize"]:
    """Whether a larger value of ``metric`` is better."""
    return "Minimize" if metric in _MINIMIZED else "Maximize"


def rounded(value: float) -> float:
    """Round to 6 significant digits, as a JSON-friendly float."""
    return float(f"{value:.6g}")


def clip(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return min(max(value, low), high)


def _harmonic_partner(f1: float, precision: float) -> float:
    """The recall that makes ``f1`` the harmonic mean of ``precision`` and it."""
    denominator = 2 * precision - f1
    return clip(f1 * precision / denominator if denominator > 0 else f1, 0.01, 1.0)


def validation_metrics(
    problem: str, quality: float, job_rng: random.Random, rng: random.Random
) -> dict[str, float]:
    """Plausible, mutually consistent validation metrics for a candidate of ``quality`` in [0, 1].

    ``job_rng`` is drawn in a fixed order so job-level baselines are the same for all candidates.
    """
    gap = 1.0 - quality
    if problem == "BinaryClassification":
        auc_top, acc_top = job_rng.uniform(0.86, 0.97), job_rng.uniform(0.85, 0.96)
        f1_top, ll_top = job_rng.uniform(0.62, 0.9), job_rng.uniform(0.18, 0.35)
        f1 = clip(f1_top - 0.3 * gap + rng.uniform(-0.01, 0.01), 0.05)
        precision = clip(f1 + rng.uniform(-0.06, 0.08), 0.05)
        auc = clip(auc_top - 0.18 * gap + rng.uniform(-0.005, 0.005), 0.5)
        return {
            "Accuracy": clip(acc_top - 0.1 * gap + rng.uniform(-0.005, 0.005)),
            "AUC": auc,
            "BalancedAccuracy": clip((auc + f1) / 2),
            "F1": f1,
            "Precision": precision,
            "Recall": _harmonic_partner(f1, precision),
            "LogLoss": ll_top + 0.5 * gap + rng.uniform(0, 0.02),
        }
    if problem == "MulticlassClassification":
        acc_top = job_rng.uniform(0.72, 0.93)
        accuracy = clip(acc_top - 0.2 * gap + rng.uniform(-0.01, 0.01), 0.05)
        f1 = clip(accuracy - rng.uniform(0.02, 0.08), 0.01)
        precision = clip(f1 + rng.uniform(-0.04, 0.06), 0.01)
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
    accuracy = clip(acc_top - 0.15 * gap + rng.uniform(-0.01, 0.01), 0.05)
    f1 = clip(accuracy - rng.uniform(0.01, 0.05), 0.01)
    precision = clip(f1 + rng.uniform(-0.03, 0.04), 0.01)
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
    return clip(value * (1 + amount))


_NO_TEST_SET: Final = 0.1
"""The share of candidates reported without Test metrics (no held-out split was scored)."""
_NO_LATENCY: Final = 0.12
"""The share of candidates for which Autopilot reports no InferenceLatency (not measured)."""
_ONE_GAP: Final = 0.08
"""The share of candidates that lack one secondary metric on one split."""


def _reported(data: list[AWS], objective: str, rng: random.Random) -> list[AWS]:
    """The part of ``data`` Autopilot reports: a minority of candidates lack some metrics.

    Real candidates do not always carry every metric on every split; the objective on the
    Validation set is always there, since FinalAutoMLJobObjectiveMetric is that value. Only
    tabular jobs, which train many candidates, have gaps: the single model of a text, image or
    forecasting job is reported in full.
    """
    no_test = rng.random() < _NO_TEST_SET
    no_latency = rng.random() < _NO_LATENCY
    gaps = [
        (d["StandardMetricName"], d["Set"])
        for d in data
        if d["StandardMetricName"] not in {objective, "InferenceLatency"}
    ]
    gap = rng.choice(gaps) if gaps and rng.random() < _ONE_GAP else None

    def kept(datum: AWS) -> bool:
        metric, metric_set = datum["StandardMetricName"], datum["Set"]
        if metric == objective and metric_set == "Validation":
            return True
        if metric == "InferenceLatency":
            return not no_latency
        return not (no_test and metric_set == "Test") and (metric, metric_set) != gap

    return [datum for datum in data if kept(datum)]


def candidate_metrics(
    problem: str, algorithm: str, seed: int, validation: dict[str, float], objective: str
) -> list[AWS]:
    """CandidateMetrics: each metric on the Train, Validation and Test sets, and InferenceLatency,
    less what a minority of candidates do not report (see :func:`_reported`).

    ``seed`` is the candidate's own, so its train/test spread and gaps are the same in every
    status; the gaps are drawn separately, so the values reported are the same as without them.
    """
    rng = random.Random(seed ^ 0x5EED)
    data: list[AWS] = []
    for metric, value in validation.items():
        train = _shifted(metric, value, rng.uniform(0.01, 0.06))
        test = _shifted(metric, value, rng.uniform(-0.03, 0.01))
        for metric_set, metric_value in (("Train", train), ("Validation", value), ("Test", test)):
            datum: AWS = {"StandardMetricName": metric, "Value": rounded(metric_value)}
            if metric in _AUTOML_METRIC_ENUM:
                datum["MetricName"] = metric
            datum["Set"] = metric_set
            data.append(datum)
    if problem != "TimeSeriesForecasting":
        latency = {"xgboost": 0.012, "linear-learner": 0.006}.get(algorithm, 0.035)
        data.append(
            {
                "StandardMetricName": "InferenceLatency",
                "Value": rounded(latency * rng.uniform(0.8, 2.5)),
                "Set": "Validation",
            }
        )
    if problem not in TABULAR_KINDS:
        return data
    return _reported(data, objective, random.Random(seed ^ 0x6A95))
