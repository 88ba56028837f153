"""Candidates side by side: one row per (metric, set), values aligned, gaps to the best."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import BadUserInput
from gateway.sagemaker.comparison import MAX_COMPARED, MIN_COMPARED, ComparisonRow, compare
from gateway.sagemaker.entries import higher_is_better
from tests.sagemaker.leaderboard_data import NAN, candidate, candidates, datum

A = candidate(
    "a",
    data=[
        datum("F1", 0.8),
        datum("F1", 0.7, "Test"),
        datum("F1", 0.9, "Train"),
        datum("InferenceLatency", 40),
        datum("accuracy", 0.1),  # a name newer than the gateway, in lower case
        datum("Accuracy", 0.6, "Holdout"),  # a set newer than the gateway
    ],
)
B = candidate(
    "b",
    data=[
        datum("F1", 0.6),
        datum("InferenceLatency", 25),
        datum("AUC", NAN),
        datum("LogLoss", 0.3, standard=False),  # a MetricName only
        datum("F1", 1.0, split=None),  # no Set: no row
        {"Value": 1.0, "Set": "Validation"},  # no name: no row
    ],
)
C = candidate("c")


def rows(*cs: dict[str, Any]) -> list[tuple[str, str]]:
    return [(row.metric, row.set) for row in compare(cs)]


def test_rows_by_metric_name_ignoring_case_then_train_validation_test() -> None:
    assert rows(A, B, C) == [
        ("Accuracy", "Holdout"),
        ("accuracy", "Validation"),
        ("AUC", "Validation"),
        ("F1", "Train"),
        ("F1", "Validation"),
        ("F1", "Test"),
        ("InferenceLatency", "Validation"),
        ("LogLoss", "Validation"),
    ]
    assert rows(C, C) == []


def test_values_best_and_deltas_follow_each_metrics_direction() -> None:
    by_key = {(row.metric, row.set): row for row in compare([A, B, C])}
    f1 = by_key["F1", "Validation"]
    assert (f1.higher_is_better, f1.values, f1.best) == (True, (0.8, 0.6, None), 0.8)
    assert f1.deltas[0] == 0.0 and f1.deltas[2] is None
    assert f1.deltas[1] == pytest.approx(-0.2)
    assert by_key["InferenceLatency", "Validation"] == ComparisonRow(
        "InferenceLatency", "Validation", False, (40.0, 25.0, None), 25.0, (15.0, 0.0, None)
    )
    assert by_key["LogLoss", "Validation"].values == (None, 0.3, None)
    assert by_key["F1", "Test"].deltas == (0.0, None, None)


def test_a_row_without_finite_values_has_no_best() -> None:
    auc = next(row for row in compare([A, B]) if row.metric == "AUC")
    assert (auc.values, auc.best, auc.deltas) == ((None, None), None, (None, None))


def test_a_delta_that_overflows_is_none() -> None:
    low, high = candidate(metrics={"F1": -1.5e308}), candidate(metrics={"F1": 1.5e308})
    (row,) = compare([low, high])
    assert row.deltas == (None, 0.0)


@pytest.mark.parametrize("count", [0, 1, MAX_COMPARED + 1])
def test_two_to_ten_candidates(count: int) -> None:
    with pytest.raises(BadUserInput, match=f"Compare {MIN_COMPARED} to {MAX_COMPARED}"):
        compare([A] * count)
    assert len(compare([A] * MAX_COMPARED)[0].values) == MAX_COMPARED


@settings(max_examples=150, deadline=None)
@given(st.lists(candidates(), min_size=MIN_COMPARED, max_size=MAX_COMPARED))
def test_deltas_point_away_from_the_best(cs: list[dict[str, Any]]) -> None:
    table = compare(cs)
    keys = [(row.metric, row.set) for row in table]
    assert len(set(keys)) == len(keys)
    for row in table:
        assert row.higher_is_better == higher_is_better(row.metric)
        present = [v for v in row.values if v is not None]
        assert all(math.isfinite(v) for v in present)
        best = max if row.higher_is_better else min
        assert row.best == (best(present) if present else None)
        for value, delta in zip(row.values, row.deltas, strict=True):
            assert (delta is None) == (value is None)
            if delta is not None:
                assert delta <= 0 if row.higher_is_better else delta >= 0
                assert (delta == 0) == (value == row.best)
    named = {
        (d.get("StandardMetricName", d.get("MetricName")), d["Set"])
        for c in cs
        for d in c.get("CandidateProperties", {}).get("CandidateMetrics", [])
        if "Set" in d and ("StandardMetricName" in d or "MetricName" in d)
    }
    assert set(keys) == named
