"""Turns settings into the app's authenticator and authorization policy."""

from __future__ import annotations

from gateway.auth import Authenticator, Caller, JobFilter, Policy, build_authenticator, build_policy
from gateway.settings import Settings


def authentication(settings: Settings) -> tuple[Authenticator, Policy]:
    """The authenticator and policy of the configured mode; ValueError on a bad configuration."""
    authenticator = build_authenticator(
        settings.auth_mode,
        jwt_jwks_url=settings.jwt_jwks_url,
        jwt_issuer=settings.jwt_issuer,
        jwt_audience=settings.jwt_audience,
        jwt_algorithms=settings.jwt_algorithms,
        jwt_leeway_seconds=settings.jwt_leeway_seconds,
        jwt_jwks_refresh_seconds=settings.jwt_jwks_refresh_seconds,
        trusted_proxies=settings.trusted_proxies,
    )
    policy = build_policy(settings.auth_mode, settings.authz_claim, settings.authz_policy)
    return authenticator, policy


def access_for(policy: Policy, caller: Caller | None) -> JobFilter | None:
    return None if caller is None else policy.for_caller(caller)
