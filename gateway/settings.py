"""The gateway's configuration: one object, read from ``GATEWAY_*`` environment variables.

It is created once at start-up and passed down; nothing else reads the environment.
AWS credentials are deliberately absent: they come from the standard AWS chain
(environment, shared profile, IRSA / EKS Pod Identity, instance metadata).
"""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    aws_region: str = Field("us-east-1", description="AWS region of the SageMaker endpoint.")
    sagemaker_endpoint_url: str | None = Field(
        None,
        description="SageMaker endpoint; unset means the real AWS endpoint of the region.",
    )
    sagemaker_connect_timeout_seconds: float = Field(
        3.0, gt=0, description="Timeout for opening a connection to SageMaker."
    )
    sagemaker_read_timeout_seconds: float = Field(
        10.0, gt=0, description="Timeout for reading one SageMaker response."
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
    cache_max_entries: int = Field(10_000, ge=0, description="Most responses kept in the cache.")
    cache_max_megabytes: float = Field(
        256.0, ge=0, description="Most SageMaker response bytes kept in the cache, in MiB."
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

    @model_validator(mode="after")
    def _default_fits_maximum(self) -> Settings:
        if self.default_page_size > self.max_page_size:
            raise ValueError("default_page_size must not exceed max_page_size")
        return self
