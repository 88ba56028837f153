from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.settings import Settings


@pytest.mark.parametrize("url", ["redis://:pw@redis:6379/0", "rediss://gateway:pw@redis:6380/2"])
def test_redis_urls_with_credentials_and_tls_are_accepted(url: str) -> None:
    settings = Settings(auth_mode="none", redis_url=url)
    assert settings.redis_url is not None and settings.redis_url.get_secret_value() == url
    assert "pw" not in repr(settings)


def test_a_url_of_another_scheme_is_refused_without_repeating_it() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(auth_mode="none", redis_url="http://gateway:hunter2@redis:6379")
    assert "redis:// or rediss://" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_redis_is_off_unless_configured() -> None:
    assert Settings(auth_mode="none").redis_url is None
