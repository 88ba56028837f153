"""Authentication errors as clients see them: a code, a status and RFC 6750 headers."""

from __future__ import annotations

from gateway.auth import AuthUnavailable, Unauthenticated
from gateway.errors import GatewayError


def test_errors_are_gateway_errors_with_stable_codes() -> None:
    assert issubclass(Unauthenticated, GatewayError)
    assert Unauthenticated("x").code == "UNAUTHENTICATED"
    assert AuthUnavailable(1).code == "UPSTREAM_UNAVAILABLE"


def test_the_challenge_quotes_only_what_rfc_6750_allows() -> None:
    error = Unauthenticated('Bad "token" \\ here\u2019s why.')
    assert error.www_authenticate == (
        'Bearer realm="autopilot-gateway", error="invalid_token", '
        'error_description="Bad ?token? ? here?s why."'
    )
    assert error.message == 'Bad "token" \\ here\u2019s why.'


def test_retry_after_is_a_whole_number_of_seconds() -> None:
    assert AuthUnavailable(0.2).headers() == {"Retry-After": "1"}
    assert AuthUnavailable(-5).headers() == {"Retry-After": "1"}
    assert AuthUnavailable(29.1).headers() == {"Retry-After": "30"}
