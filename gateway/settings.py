"""The gateway's configuration: one object, read from ``GATEWAY_*`` environment variables.

It is created once at start-up and passed down; nothing else reads the environment.
AWS credentials are deliberately absent: they come from the standard AWS chain
(environment, shared profile, IRSA / EKS Pod Identity, instance metadata). So are traces:
OpenTelemetry's SDK reads its own standard ``OTEL_*`` variables; :func:`traces_requested`
only says whether they ask for traces at all.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from gateway.auth import AuthMode
from gateway.auth.headers import as_list


def traces_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether OpenTelemetry's variables ask for traces: an OTLP endpoint or a traces
    exporter other than ``none``. Otherwise nothing of OpenTelemetry is set up."""
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none" or environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    endpoint = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )
    return bool(exporter or endpoint)


class Settings(BaseSettings):
    # Errors name the setting and the rule, never the value: some values hold credentials.
    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", extra="ignore", hide_input_in_errors=True
    )

    aws_region: str = Field("us-east-1", description="AWS region of the SageMaker endpoint.")
    sagemaker_endpoint_url: str | None = Field(
        None,
        description="SageMaker endpoint; unset means the real AWS endpoint of the region.",
    )
    s3_endpoint_url: str | None = Field(
        None,
        description="S3 endpoint that report links point at; unset means AWS's endpoint of "
        "the region (`serve --local` sets the local one).",
    )
    artifact_url_seconds: int = Field(
        300,
        ge=0,
        le=604_800,
        description="How long the candidates' report links (presigned S3 GETs) stay valid; 0 "
        "turns the links off (null).",
    )
    sagemaker_connect_timeout_seconds: float = Field(
        2.0, gt=0, description="Timeout for opening a connection to SageMaker."
    )
    sagemaker_read_timeout_seconds: float = Field(
        8.0, gt=0, description="Timeout for reading one SageMaker response."
    )
    sagemaker_max_attempts: int = Field(
        3, ge=1, le=10, description="Attempts per SageMaker call (botocore standard retry mode)."
    )
    sagemaker_max_pool_connections: int = Field(
        32, ge=1, description="Size of the HTTP connection pool to SageMaker."
    )
    sagemaker_max_concurrency: int = Field(
        16, ge=1, description="Most SageMaker calls in flight at once, across all requests."
    )
    cache_ttl_seconds: float = Field(
        300.0,
        ge=0,
        description="How long descriptions and candidates of finished jobs (Completed, "
        "Failed, Stopped) are cached; 0 disables caching.",
    )
    active_cache_ttl_seconds: float = Field(
        5.0,
        ge=0,
        description="How long anything that can still change is cached (jobs in progress, "
        "the job list): the most a job's status can be out of date; 0 disables it.",
    )
    cache_max_entries: int = Field(
        10_000, ge=0, description="Most SageMaker responses kept in the cache."
    )
    cache_max_megabytes: float = Field(
        256.0, ge=0, description="Most SageMaker response bytes kept in the cache, in MiB."
    )
    result_cache_max_entries: int = Field(
        2_000,
        ge=0,
        description="Most whole GraphQL results kept in the result cache; 0 disables it.",
    )
    result_cache_max_megabytes: float = Field(
        64.0,
        ge=0,
        description="Most bytes of whole GraphQL results kept in the result cache, in MiB.",
    )
    trusted_documents: str | None = Field(
        None,
        description="Path of the manifest of the operations the app ships (Relay's "
        "`persistedQueries` JSON or Apollo's persisted-query manifest): requests may name "
        "them by id.",
    )
    trusted_documents_only: bool = Field(
        False,
        description="Run only the trusted documents; any other operation is refused with "
        "`PERSISTED_QUERY_NOT_ALLOWED` (the production profile of a public frontend).",
    )
    redis_url: SecretStr | None = Field(
        None,
        description="Redis (or Valkey, ElastiCache without cluster mode) shared by the replicas: "
        "`redis://` or `rediss://` (TLS), with an ACL user and password "
        "(`rediss://user:password@host:6379/0`). Unset: each process caches and limits alone.",
    )
    redis_key_prefix: str = Field(
        "autopilot-gateway",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Prefix of the gateway's Redis keys, so that several gateways (or other "
        "applications) can share one Redis.",
    )
    redis_timeout_seconds: float = Field(
        0.1,
        gt=0,
        le=5,
        description="Most time a Redis command may take before the gateway goes on without "
        "Redis (and leaves it alone for a while).",
    )
    redis_max_entry_megabytes: float = Field(
        2.0,
        gt=0,
        le=64,
        description="Largest value shared through Redis, in MiB; larger ones stay in-process.",
    )
    max_batch_operations: int = Field(
        10, ge=1, description="Most operations in one batched request (a JSON array)."
    )
    default_page_size: int = Field(
        25, ge=1, description="Page size of a connection when the query gives no `first`."
    )
    max_page_size: int = Field(
        1000, ge=1, le=10_000, description="Largest `first` a query may ask for."
    )
    max_upstream_calls_per_field: int = Field(
        20,
        ge=1,
        description="Most SageMaker calls one connection field may spend before it fails.",
    )
    cursor_secret: SecretStr | None = Field(
        None,
        description="Key that signs connection cursors. Unset: a random key per process, so "
        "cursors do not survive a restart or work across replicas.",
    )
    graphiql: bool = Field(True, description="Serve the GraphiQL IDE on GET /graphql.")
    log_level: str = Field("info", description="Log level: debug, info, warning or error.")
    log_format: Literal["json", "text"] = Field(
        "json", description="`json` (one object per line, for log pipelines) or `text`."
    )

    auth_mode: AuthMode = Field(
        "jwt",
        description="`jwt` (bearer tokens), `proxy` (identity headers from a trusted auth "
        "proxy) or `none` (no authentication: local demos only; logged as a warning).",
    )
    jwt_jwks_url: str | None = Field(
        None, description="JWKS URL; unset: discovered from the issuer's OpenID configuration."
    )
    jwt_issuer: str | None = Field(None, description="Required `iss` of bearer tokens.")
    jwt_audience: str | None = Field(None, description="Required `aud` of bearer tokens.")
    jwt_algorithms: Annotated[list[str], NoDecode] = Field(
        ["RS256", "ES256"],
        description="Accepted signature algorithms, comma-separated (asymmetric only).",
    )
    jwt_leeway_seconds: float = Field(
        30.0, ge=0, le=300, description="Clock skew allowed on `exp` and `nbf`."
    )
    jwt_jwks_refresh_seconds: float = Field(
        60.0, gt=0, description="Shortest interval between JWKS fetches of any kind."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        ["127.0.0.1/32", "::1/128"],
        description="Addresses or CIDRs allowed to set identity headers in `proxy` mode.",
    )
    authz_claim: str = Field(
        "groups", description="The token claim (or proxy groups) the policy matches."
    )
    authz_policy: str | None = Field(
        None,
        description='JSON mapping a claim value to job-name globs, e.g. `{"ml-team": '
        '["churn-*"], "admins": ["*"]}`. Set: a caller matching no entry sees nothing. '
        "Unset: every caller sees every job.",
    )
    cors_allow_origins: Annotated[list[str], NoDecode] = Field(
        [], description="Origins of frontends allowed to call the API, comma-separated."
    )

    live_poll_seconds: float = Field(
        15.0,
        gt=0,
        description="How often a job that subscriptions watch is read from SageMaker (once per "
        "process, however many subscribers; once for the fleet with a Redis URL).",
    )
    subscriptions_per_connection: int = Field(
        20, ge=1, description="Most subscriptions at once on one WebSocket connection."
    )
    connections_per_caller: int = Field(
        100,
        ge=1,
        description="Most subscription connections (WebSockets and SSE streams) one caller may "
        "hold open at once, per process.",
    )
    websocket_ping_seconds: float = Field(
        20.0,
        gt=0,
        description="Interval of keep-alive pings on WebSockets and SSE streams, so proxies "
        "keep idle subscriptions open; a WebSocket that does not answer in time is closed.",
    )

    max_query_depth: int = Field(12, ge=1, description="Deepest selection an operation may have.")
    max_aliases: int = Field(30, ge=0, description="Most aliases in one operation.")
    max_tokens: int = Field(3000, ge=1, description="Most lexical tokens in one operation.")
    max_request_bytes: int = Field(
        65_536, ge=1024, description="Largest request body; larger ones get HTTP 413."
    )
    max_upstream_calls_per_operation: int = Field(
        100, ge=1, description="Most distinct SageMaker reads one operation may make."
    )
    request_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="Deadline of a request; SageMaker's timeouts and retries must fit in it.",
    )
    rate_limit_per_minute: int = Field(
        0,
        ge=0,
        description="Requests a caller (token subject, proxy user, or client address when "
        "anonymous) may make per minute, on average; more get HTTP 429. 0 turns it off.",
    )
    rate_limit_burst: int = Field(
        20,
        ge=1,
        description="Requests a caller may make at once above its rate, after a quiet spell.",
    )
    sagemaker_calls_per_minute: int = Field(
        0,
        ge=0,
        description="SageMaker calls one caller's requests may make per minute (answers from "
        "the cache are free); more fail with THROTTLED. SageMaker's limits are per account: "
        "this keeps one caller from spending everyone's. 0 turns it off.",
    )
    cost_extension: bool = Field(
        False,
        description="Answers carry `extensions.cost` (SageMaker calls, retries and time, "
        "cache hits); without it, only requests with the header `X-Gateway-Cost: 1` do.",
    )
    introspection: bool = Field(True, description="Allow schema introspection queries.")
    field_suggestions: bool = Field(
        True, description='Suggest field names in validation errors ("Did you mean ...").'
    )
    readiness_cache_seconds: float = Field(
        10.0, ge=0, description="How long /readyz reuses its last SageMaker check."
    )
    workers: int = Field(1, ge=1, le=64, description="Server worker processes.")
    keep_alive_seconds: float = Field(
        75.0,
        gt=0,
        description="How long idle client connections are kept open. Keep it longer than the "
        "idle timeout of the proxy or load balancer in front (60 s for ingress-nginx and AWS "
        "load balancers), or the proxy reuses a connection the gateway is closing: a 502.",
    )
    forwarded_allow_ips: str = Field(
        "",
        description="Proxies whose X-Forwarded-For/-Proto are trusted (comma-separated, `*` for "
        "any); empty: forwarded headers are ignored.",
    )
    shutdown_grace_seconds: float = Field(
        20.0, ge=0, description="How long SIGTERM waits for requests in flight to finish."
    )

    @field_validator("jwt_algorithms", "trusted_proxies", "cors_allow_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """Lists from the environment: a JSON array, or items separated by commas."""
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return as_list(value)
        return value

    @model_validator(mode="after")
    def _retries_fit_the_deadline(self) -> Settings:
        worst = self.sagemaker_max_attempts * (
            self.sagemaker_connect_timeout_seconds + self.sagemaker_read_timeout_seconds
        )
        if worst > self.request_timeout_seconds:
            raise ValueError(
                f"SageMaker's retries can take {worst:g} s (max_attempts x (connect + read "
                f"timeouts)), more than request_timeout_seconds ({self.request_timeout_seconds:g})"
            )
        return self

    @model_validator(mode="after")
    def _auth_is_complete(self) -> Settings:
        if self.auth_mode == "jwt" and not (self.jwt_issuer and self.jwt_audience):
            raise ValueError(
                "auth_mode jwt needs GATEWAY_JWT_ISSUER and GATEWAY_JWT_AUDIENCE (and "
                "GATEWAY_JWT_JWKS_URL unless the issuer publishes an OpenID configuration); "
                "set GATEWAY_AUTH_MODE=none only for a local demo"
            )
        if self.auth_mode == "proxy" and self.forwarded_allow_ips.strip() == "*":
            raise ValueError(
                "auth_mode proxy with GATEWAY_FORWARDED_ALLOW_IPS=* would let any client choose "
                "the address checked against GATEWAY_TRUSTED_PROXIES; leave it empty"
            )
        return self

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("redis://", "rediss://")):
            raise ValueError("redis_url must start with redis:// or rediss:// (TLS)")
        return value

    @model_validator(mode="after")
    def _trusted_only_has_documents(self) -> Settings:
        if self.trusted_documents_only and self.trusted_documents is None:
            raise ValueError(
                "trusted_documents_only needs GATEWAY_TRUSTED_DOCUMENTS, the manifest of the "
                "operations that may run"
            )
        return self

    @model_validator(mode="after")
    def _default_fits_maximum(self) -> Settings:
        if self.default_page_size > self.max_page_size:
            raise ValueError("default_page_size must not exceed max_page_size")
        return self
