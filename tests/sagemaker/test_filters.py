"""Filter trees over plain candidates: each member's rule, the empty cases, the limits, and
De Morgan's laws (with a naive evaluator) over generated candidates and filters."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import BadUserInput
from gateway.sagemaker.entries import Entry
from gateway.sagemaker.filters import (
    MAX_DEPTH,
    MAX_FILTERS,
    Filter,
    MetricCondition,
    canonical_filter,
    filter_entries,
)
from tests.sagemaker.leaderboard_data import NAN, candidate, candidates, datum, names

EVERYONE = [
    candidate("Churn-A", status="Completed", objective_status="Succeeded", metrics={"F1": 0.9}),
    candidate("churn-b", status="Failed", objective_status="Failed", metrics={"F1": 0.5}),
    candidate("other", status="Deleting", objective_status="Pending", metrics={"F1": NAN}),
    candidate(None, status=None, objective_status=None),
    {},
]


def kept(where: Filter | None) -> list[str | None]:
    return names(filter_entries([Entry("job", c) for c in EVERYONE], where))


def test_no_filter_and_the_empty_filter_keep_everyone() -> None:
    assert kept(None) == kept(Filter()) == ["Churn-A", "churn-b", "other", None, None]


def test_empty_and_holds_for_all_empty_or_and_empty_status_for_none() -> None:
    assert len(kept(Filter(and_=()))) == 5
    assert kept(Filter(or_=())) == []
    assert kept(Filter(status=())) == []
    assert kept(Filter(not_=Filter(or_=()))) == kept(None)


def test_statuses_match_exactly_and_a_newer_status_can_be_named() -> None:
    assert kept(Filter(status=("Completed", "Deleting"))) == ["Churn-A", "other"]
    assert kept(Filter(objective_status=("Failed", "Pending"))) == ["churn-b", "other"]
    assert kept(Filter(status=("completed",))) == []


def test_name_contains_ignores_case() -> None:
    assert kept(Filter(name_contains="CHURN")) == ["Churn-A", "churn-b"]
    assert kept(Filter(name_contains="n-a")) == ["Churn-A"]
    assert len(kept(Filter(name_contains=""))) == 5  # even without a name


def test_members_of_one_filter_must_all_hold() -> None:
    assert kept(Filter(name_contains="churn", status=("Failed",))) == ["churn-b"]
    both = Filter(name_contains="churn", metric=MetricCondition("F1", gt=0.6))
    assert kept(both) == ["Churn-A"]


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        ({"gt": 0.5}, ["Churn-A"]),
        ({"gte": 0.5}, ["Churn-A", "churn-b"]),
        ({"lt": 0.9}, ["churn-b"]),
        ({"lte": 0.9}, ["Churn-A", "churn-b"]),
        ({"gt": 0.5, "lt": 0.9}, []),
        ({"gte": 0.5, "lte": 0.5}, ["churn-b"]),
        ({"gt": -1e308}, ["Churn-A", "churn-b"]),
    ],
)
def test_metric_bounds(bounds: dict[str, float], expected: list[str]) -> None:
    assert kept(Filter(metric=MetricCondition("F1", **bounds))) == expected  # type: ignore[arg-type]


def test_a_metric_condition_never_holds_without_the_value_and_its_negation_does() -> None:
    condition = Filter(metric=MetricCondition("F1", lt=10))
    assert kept(condition) == ["Churn-A", "churn-b"]  # not NaN, nor no metrics at all
    assert kept(Filter(not_=condition)) == ["other", None, None]
    on_train = Filter(metric=MetricCondition("F1", "Train", lt=10))
    assert kept(on_train) == []
    train = candidate(data=[datum("F1", 0.1, "Train")])
    assert on_train.holds(train)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MetricCondition("F1"), "give at least one of gt, gte, lt, lte"),
        (lambda: MetricCondition("F1", set="Test"), "give at least one of gt, gte, lt, lte"),
        (lambda: MetricCondition("F1", gt=NAN), "finite numbers"),
        (lambda: MetricCondition("F1", lte=math.inf), "finite numbers"),
        (lambda: MetricCondition("", gt=1), "needs `name`"),
    ],
)
def test_bad_metric_conditions_say_what_to_change(make: Any, message: str) -> None:
    with pytest.raises(BadUserInput, match=message):
        make()


def nested(depth: int) -> Filter:
    tree = Filter(status=("Completed",))
    for level in range(depth - 1):
        tree = Filter(not_=tree) if level % 2 else Filter(and_=(tree,))
    return tree


def test_trees_are_bounded_in_depth_and_size() -> None:
    assert nested(MAX_DEPTH).depth == MAX_DEPTH
    with pytest.raises(BadUserInput, match=f"at most {MAX_DEPTH} deep"):
        nested(MAX_DEPTH + 1)
    with pytest.raises(BadUserInput, match=f"at most {MAX_DEPTH} deep"):
        Filter(or_=(nested(MAX_DEPTH),))
    assert Filter(and_=(Filter(),) * (MAX_FILTERS - 1)).size == MAX_FILTERS
    with pytest.raises(BadUserInput, match=f"at most {MAX_FILTERS} filters"):
        Filter(or_=(Filter(),) * MAX_FILTERS)
    half = Filter(and_=(Filter(),) * (MAX_FILTERS // 2))
    with pytest.raises(BadUserInput, match=f"at most {MAX_FILTERS} filters"):
        Filter(and_=(half,), or_=(half,))


def test_lists_are_taken_as_tuples() -> None:
    where = Filter(and_=[Filter()], status=["Failed"])  # type: ignore[arg-type]
    assert where == Filter(and_=(Filter(),), status=("Failed",))
    assert hash(where) == hash(Filter(and_=(Filter(),), status=("Failed",)))


def test_the_canonical_form_is_json_stable_and_tells_filters_apart() -> None:
    where = Filter(
        and_=(Filter(name_contains="Churn"),),
        or_=(Filter(objective_status=("Pending",)),),
        not_=Filter(metric=MetricCondition("F1", "Test", gt=-0.0, lte=1)),
        status=("Failed", "Completed", "Failed"),
    )
    form = canonical_filter(where)
    assert json.loads(json.dumps(form)) == json.loads(json.dumps(canonical_filter(where)))
    same = Filter(
        and_=(Filter(name_contains="cHURN"),),
        or_=(Filter(objective_status=("Pending",)),),
        not_=Filter(metric=MetricCondition("F1", "Test", gt=0, lte=1.0)),
        status=("Completed", "Failed"),
    )
    assert canonical_filter(same) == form
    others = [
        Filter(),
        Filter(and_=()),
        Filter(or_=()),
        Filter(status=()),
        Filter(status=("Failed",)),
        Filter(objective_status=("Failed",)),
        Filter(name_contains="Failed"),
        Filter(not_=Filter()),
        Filter(metric=MetricCondition("F1", gt=1)),
        Filter(metric=MetricCondition("F1", gte=1)),
        Filter(metric=MetricCondition("F1", "Train", gt=1)),
        Filter(metric=MetricCondition("AUC", gt=1)),
        where,
    ]
    assert len({json.dumps(canonical_filter(f)) for f in others}) == len(others)


# Properties


LEAVES = st.one_of(
    st.just(Filter()),
    st.builds(
        Filter,
        status=st.none() | st.lists(st.sampled_from(["Completed", "Failed", "Deleting"])),
        objective_status=st.none() | st.lists(st.sampled_from(["Succeeded", "Pending"])),
        name_contains=st.none() | st.sampled_from(["", "a", "B", "ab", "z"]),
    ),
    st.builds(
        lambda name, split, bounds: Filter(metric=MetricCondition(name, split, *bounds)),
        st.sampled_from(["F1", "InferenceLatency"]),
        st.sampled_from(["Validation", "Train"]),
        st.lists(st.none() | st.sampled_from([0.0, 0.5, 1.0]), min_size=4, max_size=4).filter(
            lambda bounds: any(b is not None for b in bounds)
        ),
    ),
)


def filters(depth: int = 3) -> st.SearchStrategy[Filter]:
    if depth == 0:
        return LEAVES
    below = filters(depth - 1)
    return st.one_of(
        LEAVES,
        st.builds(lambda fs: Filter(and_=tuple(fs)), st.lists(below, max_size=3)),
        st.builds(lambda fs: Filter(or_=tuple(fs)), st.lists(below, max_size=3)),
        st.builds(lambda f: Filter(not_=f), below),
    )


def reference_holds(f: Filter, c: dict[str, Any]) -> bool:
    """The rules, spelled out: every member given must hold."""
    checks: list[bool] = []
    if f.and_ is not None:
        checks.append(all(reference_holds(g, c) for g in f.and_))
    if f.or_ is not None:
        checks.append(any(reference_holds(g, c) for g in f.or_))
    if f.not_ is not None:
        checks.append(not reference_holds(f.not_, c))
    if f.status is not None:
        checks.append("CandidateStatus" in c and c["CandidateStatus"] in f.status)
    if f.objective_status is not None:
        checks.append("ObjectiveStatus" in c and c["ObjectiveStatus"] in f.objective_status)
    if f.name_contains is not None:
        checks.append(f.name_contains.lower() in c.get("CandidateName", "").lower())
    if (m := f.metric) is not None:
        values = [
            d["Value"]
            for d in c.get("CandidateProperties", {}).get("CandidateMetrics", [])
            if d.get("StandardMetricName", d.get("MetricName")) == m.name
            and d.get("Set") == m.set
            and math.isfinite(d.get("Value", NAN))
        ]
        checks.append(
            bool(values)
            and (m.gt is None or values[0] > m.gt)
            and (m.gte is None or values[0] >= m.gte)
            and (m.lt is None or values[0] < m.lt)
            and (m.lte is None or values[0] <= m.lte)
        )
    return all(checks)


SETTINGS = settings(max_examples=120, deadline=None)


@SETTINGS
@given(filters(), st.lists(candidates(), max_size=6))
def test_a_filter_holds_as_the_rules_say(f: Filter, cs: list[dict[str, Any]]) -> None:
    assert [f.holds(c) for c in cs] == [reference_holds(f, c) for c in cs]


@SETTINGS
@given(filters(2), filters(2), st.lists(candidates(), max_size=6))
def test_de_morgan(a: Filter, b: Filter, cs: list[dict[str, Any]]) -> None:
    def no(f: Filter) -> Filter:
        return Filter(not_=f)

    for c in cs:
        assert no(Filter(and_=(a, b))).holds(c) == Filter(or_=(no(a), no(b))).holds(c)
        assert no(Filter(or_=(a, b))).holds(c) == Filter(and_=(no(a), no(b))).holds(c)
        assert no(no(a)).holds(c) == a.holds(c)
        assert no(a).holds(c) != a.holds(c)


@SETTINGS
@given(LEAVES, st.lists(candidates(), max_size=6))
def test_the_members_of_a_filter_are_and_ed(f: Filter, cs: list[dict[str, Any]]) -> None:
    singles = [
        Filter(**{name: getattr(f, name)})
        for name in ("status", "objective_status", "name_contains", "metric")
        if getattr(f, name) is not None
    ]
    for c in cs:
        assert f.holds(c) == Filter(and_=tuple(singles)).holds(c)
