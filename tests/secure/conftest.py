"""Fixtures for the TLS tests: certificates made per test module (tls_kit.py)."""

from __future__ import annotations

import pytest

from secure.tls_kit import Pki, make_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), ("127.0.0.1", "127.0.0.41"))
