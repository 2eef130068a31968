"""Fixtures: Kamailio as the carrier (one per test module) and `ringcast dialer`.

See carrier_kit.py for the carrier's set-up (its config: kamailio.cfg.tmpl).
Kamailio grants 4 s registrations, so a test sees refreshes quickly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from carrier.carrier_kit import DialerProcess, Kamailio, free_port, start_kamailio, terminate
from support import require_tool
from telephony.sipp.conftest import clock, open_media, sipp  # noqa: F401  (sipp as the trunk)


@pytest.fixture(scope="module")
def kamailio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kamailio]:
    require_tool("kamailio")
    kam = start_kamailio(tmp_path_factory.mktemp("kamailio"))
    yield kam
    terminate(kam.proc)


@pytest.fixture
def dialer_process(settings: Any, tmp_path: Path) -> Iterator[Callable[..., DialerProcess]]:
    """`dialer_process(**env)` → `ringcast dialer` on the test's database and data dir,
    listening for SIP on 127.0.0.1 and a free fixed port (RINGCAST_SIP_PORT)."""
    started: list[DialerProcess] = []

    def start(**env: str) -> DialerProcess:
        port = free_port()
        full = {
            **os.environ,
            "RINGCAST_DATABASE_URL": settings.database_url.get_secret_value(),
            "RINGCAST_DATA_DIR": str(settings.data_dir),
            "RINGCAST_SIP_LOCAL_HOST": "127.0.0.1",
            "RINGCAST_SIP_PORT": str(port),
            "RINGCAST_LOG_LEVEL": "INFO",
            **env,
        }
        log_path = tmp_path / f"dialer{len(started)}.log"
        with log_path.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "ringcast.cli.main", "dialer", "--tick-ms", "100"],
                env=full, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        dp = DialerProcess(proc, int(full["RINGCAST_SIP_PORT"]), log_path)
        started.append(dp)
        deadline = time.monotonic() + 30
        while "running (Ctrl-C to stop)" not in dp.log:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"ringcast dialer did not start\n{dp.log[-3000:]}")
            time.sleep(0.05)
        return dp

    yield start
    for dp in started:  # SIGTERM: its registration is removed, not left to expire
        terminate(dp.proc)
