"""Which Autopilot jobs a caller may see, decided by one claim of their identity.

The policy maps values of that claim (groups, roles, scopes, ...) to glob patterns of job
names: ``{"ml-team": ["churn-*"], "admins": ["*"]}``. A caller sees the union of the patterns
of every value they have, and nothing when none of their values is in the policy. Without a
policy, every caller sees every job.

What a caller may see is a :class:`gateway.access.JobAccess`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from gateway.access import ALL_JOBS, JobAccess, job_access
from gateway.auth.identity import Caller

DEFAULT_CLAIM = "groups"
SPACE_SEPARATED_CLAIMS = frozenset({"scope", "scp"})  # OAuth 2.0 scopes in one string
EXAMPLE = '{"ml-team": ["churn-*"], "admins": ["*"]}'

# Characters of Autopilot job names, plus fnmatch's * ? [ ] !; anything else never matches.
_PATTERN = re.compile(r"[A-Za-z0-9*?\[\]!-]{1,128}")


class Policy:
    """An authorization policy; ``rules`` is its JSON text, a mapping, or ``None`` for none."""

    def __init__(
        self, rules: str | Mapping[str, object] | None, *, claim: str = DEFAULT_CLAIM
    ) -> None:
        if not claim:
            raise ValueError("the authorization claim must be named")
        self.claim = claim
        self._rules = None if rules is None else parse_rules(rules)

    @property
    def enabled(self) -> bool:
        return self._rules is not None

    def for_caller(self, caller: Caller) -> JobAccess:
        if self._rules is None:
            return ALL_JOBS
        patterns: set[str] = set()
        for value in claim_values(caller.claims, self.claim):
            patterns.update(self._rules.get(value, ()))
        return job_access(frozenset(patterns))


def parse_rules(rules: str | Mapping[str, object]) -> dict[str, frozenset[str]]:
    """The policy's rules, validated; a ValueError says what is wrong and where."""
    if isinstance(rules, str):
        try:
            rules = json.loads(rules)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"the authorization policy is not valid JSON ({error.msg} at line "
                f"{error.lineno}, column {error.colno}); expected e.g. {EXAMPLE}"
            ) from None
    if not isinstance(rules, Mapping):
        raise ValueError(
            "the authorization policy must be a JSON object mapping a claim value to a list "
            f"of job name patterns, e.g. {EXAMPLE}"
        )
    if not rules:
        raise ValueError(
            "the authorization policy is empty, so nobody would see any job; leave it unset "
            "to let every authenticated caller see every job"
        )
    parsed = {}
    for value, patterns in rules.items():
        if not isinstance(value, str) or not value:
            raise ValueError("the authorization policy's keys must be non-empty claim values")
        if not isinstance(patterns, list):
            raise ValueError(
                f"the authorization policy's entry for {value!r} must be a list of job name "
                'patterns, e.g. ["churn-*"]'
            )
        for pattern in patterns:
            if not isinstance(pattern, str) or not _PATTERN.fullmatch(pattern):
                raise ValueError(
                    f"the authorization policy's pattern {pattern!r} (for {value!r}) is not a "
                    "job name glob: letters, digits, '-', and * ? [ ] ! only, up to 128 "
                    "characters"
                )
        parsed[value] = frozenset(patterns)
    return parsed


def claim_values(claims: Mapping[str, object], claim: str) -> list[str]:
    """The values of ``claim``: a string, a list of strings, or a space-separated scope.

    A dotted name that is not a claim itself is followed into nested objects, for claims such
    as Keycloak's ``realm_access.roles``.
    """
    value = claims[claim] if claim in claims else _nested(claims, claim.split("."))
    if isinstance(value, str):
        leaf = claim.rsplit(".", 1)[-1]
        return value.split() if leaf in SPACE_SEPARATED_CLAIMS else [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def _nested(claims: Mapping[str, object], path: Iterable[str]) -> object:
    value: object = claims
    for name in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value
