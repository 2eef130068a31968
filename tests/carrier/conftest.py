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

from carrier.carrier_kit import (
    KAMAILIO_HOST,
    PSTN_HOST,
    DialerProcess,
    Kamailio,
    config_text,
    free_port,
    sip_options,
    terminate,
)
from support import require_tool
from telephony.sipp.conftest import clock, open_media, sipp  # noqa: F401  (sipp as the trunk)


@pytest.fixture(scope="module")
def kamailio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kamailio]:
    require_tool("kamailio")
    work = tmp_path_factory.mktemp("kamailio")
    for _ in range(3):
        port, pstn_port = free_port(KAMAILIO_HOST), free_port(PSTN_HOST)
        cfg = work / "kamailio.cfg"
        cfg.write_text(config_text(port, pstn_port, max_expires=4))
        log_path = work / "kamailio.log"
        args = ["kamailio", "-f", str(cfg), "-DD", "-E", "-m", "32", "-M", "8",
                "-Y", str(work), "-P", str(work / "kamailio.pid")]  # fmt: skip
        with log_path.open("wb") as out:
            proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        kam = Kamailio(proc, KAMAILIO_HOST, port, pstn_port, log_path)
        deadline = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < deadline:
            if sip_options(KAMAILIO_HOST, port, 0.3) == "SIP/2.0 200 OK":
                break
        if proc.poll() is None and time.monotonic() < deadline:
            break
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    else:
        raise AssertionError(f"Kamailio did not start\n{log_path.read_text()[-3000:]}")
    yield kam
    terminate(proc)


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
