"""The authorization policy: claim values to job name globs, and scopes for caches."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.access import ALL_JOBS, NO_JOBS
from gateway.auth import ANONYMOUS, Caller, Policy

RULES = {
    "ml-team": ["churn-*", "fraud-detection"],
    "analysts": ["churn-*"],
    "forecasters": ["forecast-202[45]-*"],
    "admins": ["*"],
    "read:churn": ["churn-*"],
    "read:fraud": ["fraud-*"],
}
JOBS = [
    "churn-xgb",
    "churn-linear",
    "Churn-upper",
    "fraud-detection",
    "fraud-detection-2",
    "forecast-2024-q1",
    "forecast-2023-q1",
]


def caller(**claims: Any) -> Caller:
    return Caller(subject="alice", claims={"sub": "alice", **claims})


def visible(policy: Policy, who: Caller) -> list[str]:
    access = policy.for_caller(who)
    return [job for job in JOBS if access.allows(job)]


@pytest.mark.parametrize("rules", [RULES, json.dumps(RULES)], ids=["mapping", "json"])
def test_a_list_claim_unions_its_values_patterns(rules: object) -> None:
    policy = Policy(rules, claim="groups")  # type: ignore[arg-type]
    assert visible(policy, caller(groups=["ml-team", "unknown"])) == [
        "churn-xgb",
        "churn-linear",
        "fraud-detection",
    ]
    assert visible(policy, caller(groups=["forecasters"])) == ["forecast-2024-q1"]


def test_a_string_claim_is_one_value() -> None:
    policy = Policy(RULES, claim="role")
    assert visible(policy, caller(role="analysts")) == ["churn-xgb", "churn-linear"]
    assert visible(policy, caller(role="analysts admins")) == []


@pytest.mark.parametrize("claim", ["scope", "scp"])
def test_a_scope_claim_is_space_separated(claim: str) -> None:
    policy = Policy(RULES, claim=claim)
    who = caller(**{claim: "openid read:churn  read:fraud"})
    assert visible(policy, who) == [
        "churn-xgb",
        "churn-linear",
        "fraud-detection",
        "fraud-detection-2",
    ]
    assert visible(policy, caller(**{claim: ["read:fraud"]})) == [
        "fraud-detection",
        "fraud-detection-2",
    ]


def test_a_dotted_claim_reaches_into_nested_claims() -> None:
    policy = Policy(RULES, claim="realm_access.roles")
    assert visible(policy, caller(realm_access={"roles": ["analysts"]})) == [
        "churn-xgb",
        "churn-linear",
    ]
    namespaced = Policy(RULES, claim="https://example.com/groups")
    assert visible(namespaced, caller(**{"https://example.com/groups": ["admins"]})) == JOBS


def test_matching_is_case_sensitive_and_whole_name() -> None:
    policy = Policy(RULES)
    access = policy.for_caller(caller(groups=["ml-team"]))
    assert not access.allows("Churn-upper")
    assert not access.allows("fraud-detection-2")
    assert not access.allows("xchurn-1")


@pytest.mark.parametrize(
    "who",
    [
        caller(groups=["nobody"]),
        caller(groups=[]),
        caller(),
        caller(groups=None),
        caller(groups=42),
        caller(groups=[1, {"admins": True}]),
        caller(groups={"admins": True}),
        ANONYMOUS,
    ],
)
def test_a_caller_matching_no_entry_sees_nothing(who: Caller) -> None:
    access = Policy(RULES).for_caller(who)
    assert access == NO_JOBS
    assert not any(access.allows(job) for job in JOBS)


def test_without_a_policy_everyone_sees_everything() -> None:
    policy = Policy(None)
    assert not policy.enabled
    assert policy.for_caller(ANONYMOUS) == ALL_JOBS
    assert policy.for_caller(caller(groups=["nobody"])).scope == "all"
    assert all(ALL_JOBS.allows(job) for job in JOBS)


def test_scopes_are_equal_for_equal_access_and_differ_otherwise() -> None:
    policy = Policy(RULES)
    scopes = {
        name: policy.for_caller(caller(groups=groups)).scope
        for name, groups in {
            "analyst": ["analysts"],
            "analyst-twice": ["analysts", "analysts", "unknown"],
            "ml": ["ml-team"],
            "ml-and-analyst": ["analysts", "ml-team"],
            "ml-reversed": ["ml-team", "analysts"],
            "admin": ["admins"],
            "admin-and-ml": ["ml-team", "admins"],
            "nobody": ["unknown"],
        }.items()
    }
    assert scopes["analyst"] == scopes["analyst-twice"]
    assert scopes["ml"] == scopes["ml-and-analyst"] == scopes["ml-reversed"]
    assert scopes["admin"] == scopes["admin-and-ml"] == "all"
    assert scopes["nobody"] == "none"
    distinct = {scopes[name] for name in ("analyst", "ml", "admin", "nobody")}
    assert len(distinct) == 4
    assert all(len(scope) <= 34 for scope in distinct)
    by_scope = Policy(RULES, claim="scope").for_caller(caller(scope="read:churn"))
    assert by_scope.scope == scopes["analyst"]  # same patterns, whatever granted them


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("{not json", "not valid JSON"),
        ("", "not valid JSON"),
        ('["churn-*"]', "must be a JSON object"),
        ("{}", "is empty"),
        ('{"ml-team": "churn-*"}', "must be a list"),
        ('{"ml-team": [1]}', "not a job name glob"),
        ('{"ml-team": [""]}', "not a job name glob"),
        ('{"ml-team": ["churn_*"]}', "not a job name glob"),
        ('{"": ["churn-*"]}', "non-empty claim values"),
    ],
)
def test_a_bad_policy_is_refused(rules: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Policy(rules)


def test_the_claim_must_be_named() -> None:
    with pytest.raises(ValueError, match="claim"):
        Policy(RULES, claim="")


def test_an_empty_list_grants_nothing() -> None:
    assert Policy({"interns": []}).for_caller(caller(groups=["interns"])) == NO_JOBS
