"""Fixtures for the TLS tests: certificates made per test module (tls_kit.py), Kamailio
as a TLS carrier (tests/carrier's kit with its TLS module), `ringcast dialer`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from carrier.carrier_kit import MODULES, Kamailio, KamailioTls, start_kamailio, terminate
from carrier.conftest import dialer_process  # noqa: F401  (`ringcast dialer` processes)
from secure.tls_kit import CARRIER_HOST, PSTN_SIDE, Pki, make_pki
from support import require_tool, unavailable


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), ("127.0.0.1", CARRIER_HOST))


@pytest.fixture(scope="module")
def tls_kamailio(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[Kamailio]:
    """Kamailio as a TLS carrier on 127.0.0.41 (its PSTN side on 127.0.0.43): the
    carrier kit's config with the TLS module and the carrier certificate."""
    require_tool("kamailio", "sipp")
    if not Path(MODULES, "tls.so").exists():
        unavailable("kamailio-tls-modules not installed (scripts/test.sh installs it)")
    tls = KamailioTls(pki.carrier_cert, pki.carrier_key)
    kam = start_kamailio(tmp_path_factory.mktemp("kamailio"), CARRIER_HOST, PSTN_SIDE, tls)
    yield kam
    terminate(kam.proc)
