"""The backtest results of a time-series forecasting candidate, as small, plausible CSV files.

A backtest forecasts the last ForecastHorizon time steps of the data from what came before and
compares that with what happened. The files name the columns the job was created with (item,
grouping, timestamp and target attributes, ForecastQuantiles or AWS's default p10, p50, p90)
and step at ForecastFrequency; the numbers are drawn from the candidate and agree with its
Validation metrics. The local SageMaker never reads the data, so the items are made up.
"""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Final

from gateway.local.jobs import AutoMLJob
from gateway.local.naming import stable_seed
from gateway.local.report_content import validation_metrics
from gateway.shapes import AWS

DEFAULT_QUANTILES: Final = ("p10", "p50", "p90")
"""The quantiles a forecasting job uses when ForecastQuantiles is not given (botocore's docs)."""
_ROWS_PER_ITEM: Final = 24
"""At most this many forecasted time steps per item (a horizon can be 500 steps long)."""
_FREQUENCY = re.compile(r"(\d*)(Y|M|W|D|H|min)")
_FIXED_STEPS: Final = {
    "W": timedelta(weeks=1),
    "D": timedelta(days=1),
    "H": timedelta(hours=1),
    "min": timedelta(minutes=1),
}


def _settings(job: AutoMLJob) -> AWS:
    config: AWS = job.request["AutoMLProblemTypeConfig"]["TimeSeriesForecastingJobConfig"]
    return config


def _step(moment: datetime, frequency: str, steps: int) -> datetime:
    """``moment`` moved by ``steps`` periods of ``frequency`` (e.g. ``W``, ``15min``, ``1M``)."""
    match = _FREQUENCY.fullmatch(frequency)
    count, unit = (int(match.group(1) or 1), match.group(2)) if match else (1, "D")
    if unit in _FIXED_STEPS:
        return moment + _FIXED_STEPS[unit] * (count * steps)
    if unit == "Y":  # yearly and monthly data are stamped at the start of the period
        return moment.replace(year=moment.year + count * steps, month=1, day=1)
    months = moment.month - 1 + count * steps
    return moment.replace(year=moment.year + months // 12, month=months % 12 + 1, day=1)


def _window(job: AutoMLJob) -> list[datetime]:
    """The time steps of the backtest window: the last horizon of data before the job."""
    settings = _settings(job)
    frequency, horizon = settings["ForecastFrequency"], int(settings["ForecastHorizon"])
    end = job.spec.creation_time.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = _step(end, frequency, -horizon)
    return [_step(start, frequency, i) for i in range(horizon)]


def _key_columns(job: AutoMLJob) -> tuple[str, list[str]]:
    series = _settings(job)["TimeSeriesConfig"]
    return series["ItemIdentifierAttributeName"], list(series.get("GroupingAttributeNames", []))


def _quantiles(job: AutoMLJob) -> list[str]:
    return list(_settings(job).get("ForecastQuantiles") or DEFAULT_QUANTILES)


def _items(job: AutoMLJob) -> list[list[str]]:
    """Made-up item identifiers and grouping values, one row of key columns per item."""
    _, groups = _key_columns(job)
    return [[f"item_{i:03d}", *(f"{g}_{i % 2 + 1:02d}" for g in groups)] for i in range(1, 4)]


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def forecasted_values(job: AutoMLJob, candidate: AWS) -> bytes:
    """Each item's forecast over the backtest window next to the actual target values."""
    item, groups = _key_columns(job)
    series = _settings(job)["TimeSeriesConfig"]
    quantiles = _quantiles(job)
    rng = random.Random(stable_seed(candidate["CandidateName"], "backtest"))
    error = validation_metrics(candidate).get("WAPE", 0.2)
    window = _window(job)[:_ROWS_PER_ITEM]
    rows: list[list[object]] = []
    for keys in _items(job):
        level = rng.uniform(20, 400)
        for moment in window:
            actual = max(level * rng.uniform(0.7, 1.3), 0.0)
            middle = actual * (1 + rng.uniform(-error, error))
            spread = [float(q[1:]) / 100 - 0.5 for q in quantiles]
            forecasts = [round(max(middle * (1 + 2 * error * s), 0.0), 2) for s in spread]
            rows.append([*keys, moment.strftime("%Y-%m-%d %H:%M:%S"), round(actual, 2), *forecasts])
    header = [item, *groups, series["TimestampAttributeName"], series["TargetAttributeName"]]
    return _csv([*header, *quantiles], rows)


def accuracy_metrics(job: AutoMLJob, candidate: AWS) -> bytes:
    """Each item's accuracy over the backtest window, near the candidate's Validation metrics."""
    item, groups = _key_columns(job)
    quantiles = _quantiles(job)
    window = _window(job)
    metrics = validation_metrics(candidate)
    rng = random.Random(stable_seed(candidate["CandidateName"], "backtest-accuracy"))

    def near(name: str, default: float) -> float:
        return round(metrics.get(name, default) * rng.uniform(0.8, 1.2), 6)

    rows: list[list[object]] = []
    for keys in _items(job):
        level = near("AverageWeightedQuantileLoss", 0.15)
        losses = [round(level * rng.uniform(0.7, 1.3), 6) for _ in quantiles]
        average = round(sum(losses) / len(losses), 6)
        scores = [near(m, d) for m, d in (("WAPE", 0.2), ("MAPE", 0.25), ("MASE", 1.0))]
        rows.append([*keys, window[0].date(), window[-1].date(), *losses, average, *scores])
    losses_header = [f"wQL[{float(q[1:]) / 100:g}]" for q in quantiles]
    header = [item, *groups, "backtest_window_start", "backtest_window_end", *losses_header]
    return _csv([*header, "Average wQL", "WAPE", "MAPE", "MASE"], rows)
