"""The chart's `config` against the gateway's Settings, so that the two cannot drift apart.

Every setting has a `config` key (the cursor secret and the Redis URL come from Secrets), typed and
bounded in values.schema.json like the Settings field; the defaults are the gateway's but for
a documented production profile; the ConfigMap the chart renders is a configuration the
gateway accepts; and what the gateway refuses, the chart refuses at install time.
"""

from __future__ import annotations

import json
import os
import re
import types
import typing
from collections.abc import Iterator
from typing import Any

import annotated_types
import pytest
import yaml
from pydantic import SecretStr, ValidationError

from gateway.auth.jwks import SUPPORTED_ALGORITHMS
from gateway.auth.jwt import check_algorithms
from gateway.auth.policy import parse_rules
from gateway.auth.proxy import parse_networks
from gateway.settings import Settings
from tests.helm.conftest import CHART, REQUIRED, VALUES_ALL, VALUES_REQUIRED, Manifest, RunHelm

pytestmark = pytest.mark.deployment

SCHEMA = json.loads((CHART / "values.schema.json").read_text())
CONFIG_SCHEMA: dict[str, Any] = SCHEMA["properties"]["config"]
VALUES: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
FIELDS = Settings.model_fields

# Secret settings: never values, always a Secret's key (cursorSecret.existingSecret and
# redis.existingSecret: the Redis URL holds its password).
SECRET_SETTINGS = {"cursor_secret", "redis_url"}
# Where the chart's defaults differ from the gateway's, on purpose (values.yaml says why).
PRODUCTION_PROFILE = {"introspection": False, "field_suggestions": False, "graphiql": False}
# Settings that are strings to the gateway but may be lists in values (joined with commas).
COMMA_JOINED = {"jwt_audience"}
# Settings holding JSON, which values may give as a map.
JSON_OBJECTS = {"authz_policy"}
# Where the schema is stricter than the Settings field, and why.
STRICTER = {
    # The four levels the README documents; the gateway would take any logging level name.
    "log_level": {"enum": ["debug", "info", "warning", "error"]},
}


def camel(field: str) -> str:
    first, *rest = field.split("_")
    return first + "".join(word.capitalize() for word in rest)


def snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


SETTINGS = sorted(set(FIELDS) - SECRET_SETTINGS)


def one(manifests: list[Manifest], kind: str) -> Manifest:
    (manifest,) = [m for m in manifests if m["kind"] == kind]
    return manifest


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The process environment without any GATEWAY_* variable of its own."""
    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)
    yield monkeypatch


def settings_from(manifests: list[Manifest], environment: pytest.MonkeyPatch) -> Settings:
    """Settings() as the pod builds them: from the ConfigMap's variables and the Secret's."""
    for name, value in one(manifests, "ConfigMap")["data"].items():
        environment.setenv(name, value)
    (container,) = one(manifests, "Deployment")["spec"]["template"]["spec"]["containers"]
    for env in container.get("env", []):
        if env["name"] == "GATEWAY_CURSOR_SECRET":
            environment.setenv(env["name"], "a-cursor-secret-from-the-secret")
        if env["name"] == "GATEWAY_REDIS_URL":
            environment.setenv(env["name"], "rediss://gateway:from-the-secret@redis:6379/0")
    return Settings()


# Every setting is reachable


def test_secret_settings_are_known() -> None:
    secret = {name for name, f in FIELDS.items() if SecretStr in typing.get_args(f.annotation)}
    assert secret == SECRET_SETTINGS, "a new secret setting needs a Secret reference in the chart"


def test_every_setting_has_a_config_key() -> None:
    keys = {camel(field) for field in SETTINGS}
    assert set(VALUES["config"]) == keys, "values.yaml's config keys differ from the settings"
    assert set(CONFIG_SCHEMA["properties"]) == keys
    assert CONFIG_SCHEMA["additionalProperties"] is False
    assert all(snake(camel(field)) == field for field in FIELDS)


def test_every_setting_reaches_the_pod(all_manifests: list[Manifest]) -> None:
    """values-all.yaml sets every key; each arrives as the variable the gateway reads."""
    assert set(yaml.safe_load(VALUES_ALL.read_text())["config"]) == set(VALUES["config"])
    data = one(all_manifests, "ConfigMap")["data"]
    assert {f"GATEWAY_{field.upper()}" for field in SETTINGS} <= data.keys()
    (container,) = one(all_manifests, "Deployment")["spec"]["template"]["spec"]["containers"]
    secrets = {e["name"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})}
    assert {f"GATEWAY_{field.upper()}" for field in SECRET_SETTINGS} <= secrets


# Types, bounds and enums


def expected_schema(field: str) -> dict[str, Any]:
    """The JSON Schema of a Settings field, as the chart must type it."""
    info = FIELDS[field]
    annotation = info.annotation
    args = typing.get_args(annotation)
    nullable = isinstance(annotation, types.UnionType) and type(None) in args
    if nullable:
        (annotation,) = [arg for arg in args if arg is not type(None)]
    expected: dict[str, Any] = {}
    if typing.get_origin(annotation) is typing.Literal:
        json_types = ["string"]
        expected["enum"] = list(typing.get_args(annotation))
    elif typing.get_origin(annotation) is list:
        json_types = ["array", "string"]  # a list, or the comma-separated string
    else:
        json_types = [{bool: "boolean", int: "integer", float: "number", str: "string"}[annotation]]
    if field in COMMA_JOINED:
        json_types.append("array")
    if field in JSON_OBJECTS:
        json_types.insert(0, "object")
    if nullable:
        json_types.append("null")
    expected.update(STRICTER.get(field, {}))
    expected["type"] = json_types[0] if len(json_types) == 1 else json_types
    for constraint in info.metadata:
        if isinstance(constraint, annotated_types.Ge):
            expected["minimum"] = constraint.ge
        elif isinstance(constraint, annotated_types.Gt):
            expected["exclusiveMinimum"] = constraint.gt
        elif isinstance(constraint, annotated_types.Le):
            expected["maximum"] = constraint.le
        elif isinstance(constraint, annotated_types.Lt):
            expected["exclusiveMaximum"] = constraint.lt
    return expected


@pytest.mark.parametrize("field", SETTINGS)
def test_schema_types_and_bounds_are_the_settings(field: str) -> None:
    schema = CONFIG_SCHEMA["properties"][camel(field)]
    expected = expected_schema(field)
    keys = {"type", "enum", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"}
    assert {k: v for k, v in schema.items() if k in keys} == expected
    # Only a setting the gateway may leave unset may be null; the others must be there.
    nullable = "null" in expected["type"]
    assert (camel(field) in CONFIG_SCHEMA["required"]) is not nullable


def test_schema_knows_the_gateways_jwt_algorithms() -> None:
    schema = CONFIG_SCHEMA["properties"]["jwtAlgorithms"]
    assert set(schema["items"]["enum"]) == SUPPORTED_ALGORITHMS
    string_form = re.compile(schema["pattern"])
    assert string_form.fullmatch("RS256, ES256,EdDSA")
    assert not string_form.fullmatch("RS256,HS256")


# Defaults


@pytest.mark.parametrize("field", SETTINGS)
def test_defaults_are_the_gateways_but_the_production_profile(field: str) -> None:
    value = VALUES["config"][camel(field)]
    default = FIELDS[field].default
    if field in PRODUCTION_PROFILE:
        assert value == PRODUCTION_PROFILE[field] != default
    else:
        assert value == default, f"config.{camel(field)} is {value!r}, the gateway's {default!r}"


def test_default_config_is_accepted_by_the_gateway(
    default_manifests: list[Manifest], environment: pytest.MonkeyPatch
) -> None:
    """The chart's defaults plus the issuer and audience an installer must give."""
    settings = settings_from(default_manifests, environment)
    required = yaml.safe_load(VALUES_REQUIRED.read_text())["config"]
    assert settings.jwt_issuer == required["jwtIssuer"]
    assert settings.jwt_audience == required["jwtAudience"]
    assert settings.auth_mode == "jwt"
    assert settings.log_format == "json"
    for field, value in PRODUCTION_PROFILE.items():
        assert getattr(settings, field) == value
    # What the gateway checks when it starts, beyond Settings.
    check_algorithms(settings.jwt_algorithms)
    parse_networks(settings.trusted_proxies)


def test_every_value_is_the_gateways_setting(
    all_manifests: list[Manifest], environment: pytest.MonkeyPatch
) -> None:
    settings = settings_from(all_manifests, environment)
    config = yaml.safe_load(VALUES_ALL.read_text())["config"]
    for field in SETTINGS:
        value = config[camel(field)]
        if field in COMMA_JOINED:
            value = ",".join(value)
        if field in JSON_OBJECTS:
            assert json.loads(getattr(settings, field)) == value
        else:
            assert getattr(settings, field) == value, field
    assert settings.cursor_secret is not None and settings.redis_url is not None
    check_algorithms(settings.jwt_algorithms)
    parse_networks(settings.trusted_proxies)
    assert parse_rules(settings.authz_policy or "") == {
        "ml-platform": frozenset({"*"}),
        "churn-team": frozenset({"customer-churn-*"}),
    }


# The chart refuses what the gateway refuses, and accepts what it accepts


def helm_args(values: dict[str, Any]) -> list[str]:
    return [
        arg for key, v in values.items() for arg in ("--set-json", f"config.{key}={json.dumps(v)}")
    ]


def gateway_refuses(values: dict[str, Any]) -> None:
    """The gateway refuses these config values: in Settings, or in its start-up checks."""
    given = {"authMode": "none", **values}
    kwargs = {snake(key): value for key, value in given.items()}
    for field in COMMA_JOINED & kwargs.keys():
        if isinstance(kwargs[field], list):
            kwargs[field] = ",".join(kwargs[field])
    for field in JSON_OBJECTS & kwargs.keys():
        if not isinstance(kwargs[field], str):
            kwargs[field] = json.dumps(kwargs[field])
    try:
        settings = Settings(**kwargs)
        check_algorithms(settings.jwt_algorithms)
        parse_networks(settings.trusted_proxies)
        if settings.authz_policy is not None:
            parse_rules(settings.authz_policy)
    except (ValidationError, ValueError):
        return
    pytest.fail(f"the gateway accepts {values}")


REFUSED = [
    # Settings' own checks across fields.
    ({"authMode": "jwt", "jwtIssuer": None, "jwtAudience": "a"}, "/config/jwtIssuer"),
    ({"authMode": "jwt", "jwtIssuer": "https://i/", "jwtAudience": None}, "/config/jwtAudience"),
    ({"authMode": "proxy", "forwardedAllowIps": "*"}, "/config/forwardedAllowIps"),
    ({"authMode": "proxy", "forwardedAllowIps": " * "}, "/config/forwardedAllowIps"),
    ({"sagemakerMaxAttempts": 4}, "more than requestTimeoutSeconds (30)"),
    ({"requestTimeoutSeconds": 29.5}, "more than requestTimeoutSeconds (29.5)"),
    ({"defaultPageSize": 1001}, "config.defaultPageSize (1001) must not exceed"),
    ({"trustedDocumentsOnly": True}, "config.trustedDocumentsOnly needs a manifest"),
    # Bounds and enums of single settings.
    ({"sagemakerMaxAttempts": 11}, "/config/sagemakerMaxAttempts"),
    ({"sagemakerConnectTimeoutSeconds": 0}, "/config/sagemakerConnectTimeoutSeconds"),
    ({"cacheMaxEntries": -1}, "/config/cacheMaxEntries"),
    ({"maxPageSize": 10001}, "/config/maxPageSize"),
    ({"maxRequestBytes": 1023}, "/config/maxRequestBytes"),
    ({"jwtLeewaySeconds": 301}, "/config/jwtLeewaySeconds"),
    ({"workers": 65}, "/config/workers"),
    ({"keepAliveSeconds": 0}, "/config/keepAliveSeconds"),
    ({"logFormat": "xml"}, "/config/logFormat"),
    ({"authMode": "oauth"}, "/config/authMode"),
    ({"workers": 1.5}, "/config/workers"),
    # What the gateway checks when it starts.
    ({"jwtAlgorithms": ["HS256"]}, "/config/jwtAlgorithms"),
    ({"jwtAlgorithms": "RS256,none"}, "/config/jwtAlgorithms"),
    ({"jwtAlgorithms": []}, "/config/jwtAlgorithms"),
    ({"authzPolicy": {}}, "/config/authzPolicy"),
    ({"authzPolicy": {"team": "churn-*"}}, "/config/authzPolicy"),
    ({"authzPolicy": {"team": ["churn/*"]}}, "/config/authzPolicy"),
    ({"trustedProxies": ["localhost"]}, "/config/trustedProxies"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("values", "mentioned"), REFUSED, ids=[str(v) for v, _ in REFUSED])
def test_chart_refuses_what_the_gateway_refuses(
    run_helm: RunHelm, environment: pytest.MonkeyPatch, values: dict[str, Any], mentioned: str
) -> None:
    gateway_refuses(values)
    result = run_helm("template", str(CHART), *REQUIRED, *helm_args(values))
    assert result.returncode != 0, f"the chart accepts {values}"
    assert mentioned in result.stderr


ACCEPTED = [
    # Retries that take exactly the deadline.
    {"sagemakerMaxAttempts": 2, "sagemakerReadTimeoutSeconds": 13},
    {"authMode": "proxy", "forwardedAllowIps": "10.0.0.1,10.0.0.2"},
    {"authMode": "none", "jwtIssuer": None, "jwtAudience": None},
    {"jwtAudience": ["autopilot-gateway", "ml-portal"], "jwtAlgorithms": "RS256, EdDSA"},
    {"trustedProxies": "10.0.0.0/8, fd00::/8", "corsAllowOrigins": "https://a.example.com"},
    {"authzPolicy": '{"team": ["churn-*"]}', "defaultPageSize": 1000},
    {"maxRequestBytes": 1024, "workers": 64, "jwtLeewaySeconds": 300, "maxAliases": 0},
    {"trustedDocumentsOnly": True, "trustedDocuments": "/srv/operations.json"},
]


@pytest.mark.slow
@pytest.mark.parametrize("values", ACCEPTED, ids=[str(v) for v in ACCEPTED])
def test_chart_accepts_what_the_gateway_accepts(
    render: Any, environment: pytest.MonkeyPatch, values: dict[str, Any]
) -> None:
    settings = settings_from(render(*helm_args(values)), environment)
    check_algorithms(settings.jwt_algorithms)
    parse_networks(settings.trusted_proxies)
    if settings.authz_policy is not None:
        parse_rules(settings.authz_policy)
