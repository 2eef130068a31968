"""The webhook tests' receivers listen on 127.0.0.1: private networks are allowed
here (RINGCAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS), except in `test_netguard.py`,
which turns the guard back on."""

from __future__ import annotations

import pytest

from ringcast.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allow_private_networks": True})
