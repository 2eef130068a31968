"""The `api` fixture of tests/conftest.py, with a short auth cache (revocation
tests wait it out) and a fixed dashboard secret."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from ringcast.settings import Settings

SECRET = "test-dashboard-secret-0123456789abcdef"
CACHE_S = 0.2
SIGNIN_FAILURES = 4


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """tests/conftest.py's settings (the same database), dashboard-ready."""
    return settings.model_copy(
        update={
            "auth_cache_seconds": CACHE_S,
            "dashboard_secret": SecretStr(SECRET),
            "dashboard_signin_failures_per_minute": SIGNIN_FAILURES,
        }
    )
