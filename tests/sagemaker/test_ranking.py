"""Leaderboards: what a candidate's values are, and how candidates are ordered and ranked.

The property tests hold the module to a naive reference written here from the rules: a
pairwise comparator sorted with ``functools.cmp_to_key``, and a brute-force Pareto front.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from functools import cmp_to_key
from typing import Any

import botocore.session
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import BadUserInput
from gateway.sagemaker.cursors import fingerprint
from gateway.sagemaker.entries import (
    LOWER_IS_BETTER,
    Entry,
    Objective,
    Objectives,
    higher_is_better,
    metric_value,
    objective_higher_is_better,
    objective_value,
    training_seconds,
)
from gateway.sagemaker.filters import Filter, MetricCondition
from gateway.sagemaker.ranking import (
    MAX_ORDERS,
    Direction,
    Order,
    OrderBy,
    canonical,
    order_entries,
    pareto_front,
    rank_entries,
)
from tests.sagemaker.leaderboard_data import (
    ENTRIES,
    INF,
    METRICS,
    NAN,
    SETS,
    T0,
    candidate,
    datum,
    names,
)

MODEL = botocore.session.get_session().get_service_model("sagemaker")
F1 = Order(OrderBy.METRIC, "F1")
LATENCY = Order(OrderBy.METRIC, "InferenceLatency")
JOBS: Objectives = {"job-1": Objective.of("F1"), "job-2": Objective.of("LogLoss")}


def entries(*candidates: dict[str, Any], job: str = "job-1") -> list[Entry]:
    return [Entry(job, c) for c in candidates]


# Metric lookup


def test_a_metric_is_found_by_standard_name_and_set() -> None:
    c = candidate(data=[datum("F1", 0.5, "Train"), datum("F1", 0.7), datum("F1", 0.6, "Test")])
    assert metric_value(c, "F1") == 0.7
    assert metric_value(c, "F1", "Train") == 0.5
    assert metric_value(c, "F1", "Test") == 0.6
    assert metric_value(c, "AUC") is None


def test_metric_name_counts_only_where_the_standard_name_is_absent() -> None:
    alone = candidate(data=[datum("LogLoss", 0.3, standard=False)])
    both = candidate(data=[{**datum("F1", 0.4, standard=False), "StandardMetricName": "F1macro"}])
    assert metric_value(alone, "LogLoss") == 0.3
    assert metric_value(both, "F1") is None
    assert metric_value(both, "F1macro") == 0.4


@pytest.mark.parametrize("value", [NAN, INF, -INF, True, "0.5", None, 10**400])
def test_a_value_that_is_not_a_finite_number_is_absent(value: object) -> None:
    c = candidate(data=[{"StandardMetricName": "F1", "Set": "Validation", "Value": value}])
    assert metric_value(c, "F1") is None


def test_the_first_finite_value_wins() -> None:
    c = candidate(data=[datum("F1", NAN), datum("F1", 0.8), datum("F1", 0.9)])
    assert metric_value(c, "F1") == 0.8


@pytest.mark.parametrize(
    "c",
    [
        {},
        {"CandidateProperties": {}},
        {"CandidateProperties": {"CandidateMetrics": None}},
        {"CandidateProperties": {"CandidateMetrics": ["F1", None, {"Value": 1.0}]}},
        {"CandidateProperties": "odd"},
        candidate(data=[datum("F1", 0.9, split=None)]),  # a datum without a Set
    ],
)
def test_missing_or_odd_members_give_no_value(c: dict[str, Any]) -> None:
    assert metric_value(c, "F1") is None


# Directions


def test_lower_is_better_for_errors_losses_and_latency() -> None:
    extended = set(MODEL.shape_for("AutoMLMetricExtendedEnum").enum)
    assert extended >= LOWER_IS_BETTER  # no typo: each one is a metric SageMaker names
    lower = "MSE RMSE MAE MAPE MASE WAPE AverageWeightedQuantileLoss LogLoss InferenceLatency"
    lower += " TrainingLoss ValidationLoss Perplexity"
    assert {m for m in extended if not higher_is_better(m)} == set(lower.split())
    assert all(map(higher_is_better, ["AUC", "F1", "Accuracy", "R2", "Rouge1", "NewMetric"]))


def test_objective_direction_by_type_then_job_then_metric_name() -> None:
    def direction(job: str, **final: Any) -> bool:
        c = {"FinalAutoMLJobObjectiveMetric": {"MetricName": "F1", "Value": 1.0, **final}}
        return objective_higher_is_better(Entry(job, c), JOBS)

    assert direction("job-2", Type="Maximize") is True  # the type wins over the job's
    assert direction("job-1", Type="Minimize") is False
    assert direction("job-2") is False  # no type: the job's objective (LogLoss)
    assert direction("job-2", Type="Sideways") is False  # an unknown type is no type
    assert direction("other") is True  # unknown job: the final metric's name (F1)
    assert direction("other", MetricName="RMSE") is False
    assert objective_higher_is_better(Entry("other", {}), JOBS) is True


def test_objective_of_a_job_description() -> None:
    assert Objective.from_job({"AutoMLJobObjective": {"MetricName": "MSE"}}) == Objective(
        "MSE", False
    )
    assert Objective.from_job({}) is None
    assert objective_value(candidate(objective=0.5)) == 0.5
    assert objective_value(candidate(objective=NAN)) is None
    assert objective_value({"FinalAutoMLJobObjectiveMetric": "odd"}) is None


def test_training_seconds() -> None:
    assert training_seconds(candidate(created=10, ended=70)) == 60
    assert training_seconds(candidate(created=10)) is None
    assert training_seconds({"CreationTime": "yesterday", "EndTime": T0}) is None
    naive = {"CreationTime": datetime(2024, 1, 1), "EndTime": T0}  # mixed: never raises
    assert isinstance(training_seconds(naive), float)


# Orders


def order(cs: list[Entry], *orders: Order, objectives: Objectives = JOBS) -> list[str | None]:
    return names(order_entries(cs, orders, objectives))


F1S = entries(
    candidate("b", metrics={"F1": 0.5, "InferenceLatency": 30}),
    candidate("nan", metrics={"F1": NAN, "InferenceLatency": NAN}),
    candidate("a", metrics={"F1": 0.9, "InferenceLatency": 20}),
    candidate("none"),
    candidate("c", metrics={"F1": 0.7, "InferenceLatency": 10}),
)


def test_a_metric_is_best_first_by_its_direction_and_missing_values_sort_last() -> None:
    assert order(F1S, F1) == ["a", "c", "b", "nan", "none"]
    assert order(F1S, LATENCY) == ["c", "a", "b", "nan", "none"]
    f1_ascending = Order(OrderBy.METRIC, "F1", direction=Direction.ASC)
    assert order(F1S, f1_ascending) == ["b", "c", "a", "nan", "none"]
    latency_desc = Order(OrderBy.METRIC, "InferenceLatency", direction=Direction.DESC)
    assert order(F1S, latency_desc) == ["b", "a", "c", "nan", "none"]


def test_a_metric_on_another_set() -> None:
    cs = entries(
        candidate("a", data=[datum("F1", 0.1, "Train"), datum("F1", 0.9)]),
        candidate("b", data=[datum("F1", 0.2, "Train"), datum("F1", 0.8)]),
    )
    assert order(cs, F1) == ["a", "b"]
    assert order(cs, Order(OrderBy.METRIC, "F1", "Train")) == ["b", "a"]


def test_the_objective_by_each_candidates_type_across_jobs() -> None:
    cs = [
        Entry("job-1", candidate("max-low", objective=0.2, objective_type="Maximize")),
        Entry("job-1", candidate("max-high", objective=0.9, objective_type="Maximize")),
        Entry("job-2", candidate("job-min-high", objective=0.8)),  # job-2 minimizes LogLoss
        Entry("job-2", candidate("job-min-low", objective=0.1)),
        Entry("job-2", candidate("missing")),
    ]
    objective = Order(OrderBy.OBJECTIVE)
    # best first by each one's direction: a maximized v compares as -v with a minimized one
    assert order(cs, objective) == ["max-high", "max-low", "job-min-low", "job-min-high", "missing"]
    ascending = Order(OrderBy.OBJECTIVE, direction=Direction.ASC)
    assert order(cs, ascending) == ["job-min-low", "max-low", "job-min-high", "max-high", "missing"]


TIMED = entries(
    candidate("old", created=0, ended=100),  # trained longest
    candidate("new", created=50),  # still running: no EndTime
    candidate("mid", created=20, ended=30),
    candidate("none", created=None),
)


def test_times_are_newest_first_and_training_shortest_first() -> None:
    assert order(TIMED, Order(OrderBy.CREATION_TIME)) == ["new", "mid", "old", "none"]
    assert order(TIMED, Order(OrderBy.END_TIME)) == ["old", "mid", "new", "none"]
    oldest_first = Order(OrderBy.CREATION_TIME, direction=Direction.ASC)
    assert order(TIMED, oldest_first) == ["old", "mid", "new", "none"]
    assert order(TIMED, Order(OrderBy.TRAINING_SECONDS)) == ["mid", "old", "new", "none"]
    long_first = Order(OrderBy.TRAINING_SECONDS, direction=Direction.DESC)
    assert order(TIMED, long_first) == ["old", "mid", "new", "none"]


def test_names_and_statuses_a_to_z_with_unknown_statuses_among_them() -> None:
    cs = entries(
        candidate("ab", status="Stopped"),
        candidate("a", status="Deleting"),  # newer than the gateway
        candidate("b", status=None),
        candidate(None, status="Completed"),
    )
    assert order(cs, Order(OrderBy.NAME)) == ["a", "ab", "b", None]
    assert order(cs, Order(OrderBy.NAME, direction=Direction.DESC)) == ["b", "ab", "a", None]
    assert order(cs, Order(OrderBy.STATUS)) == [None, "a", "ab", "b"]
    assert order(cs, Order(OrderBy.STATUS, direction=Direction.DESC)) == ["ab", "a", None, "b"]


def test_orders_break_ties_in_turn_then_name_then_job() -> None:
    cs = [
        Entry("job-2", candidate("x", status="Failed", metrics={"F1": 0.5})),
        Entry("job-1", candidate("x", status="Failed", metrics={"F1": 0.5})),
        Entry("job-1", candidate("w", status="Failed", metrics={"F1": 0.5})),
        Entry("job-1", candidate("z", status="Completed", metrics={"F1": 0.5})),
        Entry("job-1", candidate("y", status="Failed", metrics={"F1": 0.6})),
    ]
    ordered = order_entries(cs, [F1, Order(OrderBy.STATUS, direction=Direction.DESC)])
    assert [f"{e.candidate['CandidateName']}@{e.job_name}" for e in ordered] == [
        "y@job-1",
        "w@job-1",
        "x@job-1",
        "x@job-2",
        "z@job-1",
    ]
    assert names(order_entries(cs, [])) == ["w", "x", "x", "y", "z"]  # the tiebreak alone


def test_a_metric_order_needs_a_metric_and_only_it_takes_one() -> None:
    with pytest.raises(BadUserInput, match="needs `metric`"):
        Order(OrderBy.METRIC)
    with pytest.raises(BadUserInput, match="remove it"):
        Order(OrderBy.NAME, metric="F1")
    with pytest.raises(BadUserInput, match="`direction` ASC or DESC"):
        Order(OrderBy.NAME, direction="UP")  # type: ignore[arg-type]
    assert Order("NAME", direction="DESC").direction is Direction.DESC  # type: ignore[arg-type]
    with pytest.raises(BadUserInput, match=f"at most {MAX_ORDERS} orders"):
        order_entries([], [F1] * (MAX_ORDERS + 1))


# Ranks


def test_competition_ranks_with_missing_values_tied() -> None:
    cs = entries(
        *(candidate(n, metrics={"F1": v}) for n, v in [("a", 0.9), ("b", 0.8), ("c", 0.8)]),
        candidate("d", metrics={"F1": 0.7}),
        candidate("e", metrics={"F1": NAN}),
        candidate("f"),
    )
    ordered = order_entries(cs, [F1])
    assert names(ordered) == ["a", "b", "c", "d", "e", "f"]
    assert rank_entries(ordered, [F1]) == [1, 2, 2, 4, 5, 5]
    assert rank_entries(ordered, [F1, Order(OrderBy.NAME)]) == [1, 2, 3, 4, 5, 6]
    assert rank_entries(ordered, []) == [1] * 6
    assert rank_entries(cs[::-1], [F1]) == [5, 5, 4, 2, 2, 1]  # aligned with any input order


def test_cross_job_candidates_of_the_same_name_tie_on_name() -> None:
    cs = [Entry("job-2", candidate("a")), Entry("job-1", candidate("a"))]
    ordered = order_entries(cs, [Order(OrderBy.NAME)])
    assert [e.job_name for e in ordered] == ["job-1", "job-2"]
    assert rank_entries(ordered, [Order(OrderBy.NAME)]) == [1, 1]


# Pareto front


def test_pareto_front_of_f1_against_latency() -> None:
    cs = entries(
        candidate("fast", metrics={"F1": 0.6, "InferenceLatency": 5}),
        candidate("accurate", metrics={"F1": 0.9, "InferenceLatency": 50}),
        candidate("balanced", metrics={"F1": 0.8, "InferenceLatency": 20}),
        candidate("twin", metrics={"F1": 0.8, "InferenceLatency": 20}),  # equal: both kept
        candidate("slow", metrics={"F1": 0.8, "InferenceLatency": 30}),  # dominated by balanced
        candidate("worse", metrics={"F1": 0.5, "InferenceLatency": 5}),  # dominated by fast
        candidate("no-latency", metrics={"F1": 0.99}),
        candidate("nan", metrics={"F1": 0.99, "InferenceLatency": NAN}),
    )
    assert names(pareto_front(cs, F1, LATENCY)) == ["accurate", "balanced", "twin", "fast"]
    assert names(pareto_front(cs, LATENCY, F1)) == ["fast", "balanced", "twin", "accurate"]
    assert pareto_front([], F1, LATENCY) == []


# Fingerprints


def test_the_canonical_form_is_json_and_tells_arguments_apart() -> None:
    where = Filter(status=("Failed", "Completed"), metric=MetricCondition("F1", gte=1))
    same = Filter(status=["Completed", "Failed", "Failed"], metric=MetricCondition("F1", gte=1.0))  # type: ignore[arg-type]
    form = canonical([F1, Order(OrderBy.NAME, set="Test")], where)
    assert json.loads(json.dumps(form)) == json.loads(json.dumps(form))
    assert form == canonical([F1, Order(OrderBy.NAME)], same)
    assert canonical([], None) == canonical([], Filter())
    variants = [
        canonical([F1], where),
        canonical([LATENCY], where),
        canonical([Order(OrderBy.METRIC, "F1", "Test")], where),
        canonical([Order(OrderBy.METRIC, "F1", direction=Direction.ASC)], where),
        canonical([F1, LATENCY], where),
        canonical([F1], Filter(status=("Failed",))),
        canonical([F1], None),
    ]
    assert len({fingerprint("leaderboard", [v]) for v in variants}) == len(variants)


# Properties against a naive reference


REFERENCE_LOWER = {"InferenceLatency", "LogLoss"}  # of the generated metrics


def finite_value(value: object) -> Any:
    return value if isinstance(value, float) and math.isfinite(value) else None


def reference_value(order: Order, entry: Entry, objectives: Objectives) -> tuple[Any, bool]:
    """The value an order compares, and whether it goes high to low, from the rules."""
    c = entry.candidate
    value: Any = None
    if order.by == OrderBy.METRIC:
        for d in c.get("CandidateProperties", {}).get("CandidateMetrics", []):
            name = d.get("StandardMetricName", d.get("MetricName"))
            found = finite_value(d.get("Value"))
            if name == order.metric and d.get("Set") == order.set and found is not None:
                value = found
                break
        descending = order.metric not in REFERENCE_LOWER
    elif order.by == OrderBy.OBJECTIVE:
        final = c.get("FinalAutoMLJobObjectiveMetric", {})
        value = finite_value(final.get("Value"))
        if final.get("Type") in ("Maximize", "Minimize"):
            descending = final["Type"] == "Maximize"
        elif entry.job_name in objectives:
            descending = objectives[entry.job_name].higher_is_better
        else:
            descending = final.get("MetricName") not in REFERENCE_LOWER
    elif order.by in (OrderBy.CREATION_TIME, OrderBy.END_TIME):
        value = c.get("CreationTime" if order.by == OrderBy.CREATION_TIME else "EndTime")
        descending = True
    elif order.by == OrderBy.TRAINING_SECONDS:
        if "CreationTime" in c and "EndTime" in c:
            value = (c["EndTime"] - c["CreationTime"]).total_seconds()
        descending = False
    else:
        value = c.get("CandidateName" if order.by == OrderBy.NAME else "CandidateStatus")
        descending = False
    if order.direction is not None:
        descending = order.direction == Direction.DESC
    return value, descending


def sign(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)


def compare_keys(a: Entry, b: Entry, orders: list[Order], objectives: Objectives) -> int:
    for o in orders:
        (va, da), (vb, db) = reference_value(o, a, objectives), reference_value(o, b, objectives)
        if va is None or vb is None:
            if (va is None) != (vb is None):
                return 1 if va is None else -1
            continue
        if da == db:
            result = sign(va, vb) * (-1 if da else 1)
        else:  # the objective across jobs of opposite directions: the better one first
            result = sign(-va if da else va, -vb if db else vb)
        if result:
            return result
    return 0


def compare_entries(a: Entry, b: Entry, orders: list[Order], objectives: Objectives) -> int:
    def tiebreak(e: Entry) -> tuple[bool, str, str]:
        name = e.candidate.get("CandidateName")
        return (name is None, name or "", e.job_name)

    return compare_keys(a, b, orders, objectives) or sign(tiebreak(a), tiebreak(b))


@st.composite
def orders(draw: st.DrawFn) -> Order:
    by = draw(st.sampled_from(OrderBy))
    direction = draw(st.sampled_from([None, Direction.ASC, Direction.DESC]))
    if by != OrderBy.METRIC:
        return Order(by, direction=direction)
    return Order(by, draw(st.sampled_from(METRICS)), draw(st.sampled_from(SETS)), direction)


OBJECTIVES = st.sampled_from([JOBS, {"job-1": Objective.of("F1")}, {}])
SETTINGS = settings(max_examples=120, deadline=None)


@SETTINGS
@given(ENTRIES, st.lists(orders(), max_size=3), OBJECTIVES)
def test_the_order_is_the_reference_order(
    cs: list[Entry], by: list[Order], objectives: Objectives
) -> None:
    def reference(a: Entry, b: Entry) -> int:
        return compare_entries(a, b, by, objectives)

    expected = sorted(cs, key=cmp_to_key(reference))
    ordered = order_entries(cs, by, objectives)
    assert [id(e) for e in ordered] == [id(e) for e in expected]
    again = order_entries(ordered[::-1], by, objectives)  # total: the input order only shows
    assert all(
        compare_entries(a, b, by, objectives) == 0 for a, b in zip(again, ordered, strict=True)
    )


@SETTINGS
@given(ENTRIES, st.lists(orders(), max_size=3), OBJECTIVES)
def test_ranks_count_the_entries_strictly_before(
    cs: list[Entry], by: list[Order], objectives: Objectives
) -> None:
    ordered = order_entries(cs, by, objectives)
    ranks = rank_entries(ordered, by, objectives)
    assert ranks == sorted(ranks)
    for i, entry in enumerate(ordered):
        before = sum(compare_keys(other, entry, by, objectives) < 0 for other in ordered)
        assert ranks[i] == 1 + before
        if i:
            tied = compare_keys(ordered[i - 1], entry, by, objectives) == 0
            assert (ranks[i] == ranks[i - 1]) == tied
    aligned = rank_entries(cs, by, objectives)
    assert sorted(aligned) == ranks


@SETTINGS
@given(ENTRIES, orders(), orders(), OBJECTIVES)
def test_the_pareto_front_is_the_brute_force_front(
    cs: list[Entry], x: Order, y: Order, objectives: Objectives
) -> None:
    def better(o: Order, a: Entry, b: Entry) -> int:
        return compare_keys(a, b, [o], objectives)

    def has(o: Order, e: Entry) -> bool:
        return reference_value(o, e, objectives)[0] is not None

    valued = [e for e in cs if has(x, e) and has(y, e)]
    front = [
        b
        for b in valued
        if not any(
            better(x, a, b) <= 0 and better(y, a, b) <= 0 and (better(x, a, b) or better(y, a, b))
            for a in valued
        )
    ]
    front.sort(key=cmp_to_key(lambda a, b: compare_entries(a, b, [x, y], objectives)))
    assert [id(e) for e in pareto_front(cs, x, y, objectives)] == [id(e) for e in front]
