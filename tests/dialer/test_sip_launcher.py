"""The production launcher end to end: program → dialer → SIP calls answered by sipp."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time

import pytest

from dialer.dialer_kit import LISTEN_A_SECOND, attempts, execution, launch
from ringcast.dialer.clock import SystemClock
from ringcast.dialer.loop import Dialer, DialerConfig
from ringcast.dialer.sip_launcher import SipLauncher
from ringcast.dialer.store import DialerStore
from support import require_tool


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_program_calls_go_out_over_sip(api, db_url, tmp_path):
    require_tool("sipp")
    if not db_url.startswith("sqlite"):
        pytest.skip("one database is enough for the SIP path")
    port = free_udp_port()
    # -rtp_echo: the callee's media port sends our RTP back and the flow listens a second,
    # so the calls carry media (an answered call with none is `failed` / `no_media`, issue 14)
    sipp = subprocess.Popen(
        ["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1", "-mp", str(free_udp_port()),
         "-rtp_echo", "-m", "4", "-nostdin", "-timeout", "60s"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(0.3)
        h = api.acme.headers()
        trunk = await api.client.post(
            "/api/trunks", json={"name": "sipp", "host": "127.0.0.1", "port": port}, headers=h
        )
        assert trunk.status_code == 201, trunk.text
        _, eid = await launch(api, 4, 1, LISTEN_A_SECOND, callsPerSecond=20, maxConcurrentCalls=4)
        state = api.app.state.ringcast
        launcher = SipLauncher(state.sessions, state.storage)
        dialer = Dialer(DialerStore(state.sessions), launcher, SystemClock(), DialerConfig())
        try:
            for _ in range(100):
                await dialer.run_once()
                await asyncio.sleep(0.1)
                if (await execution(api, eid))["status"] == "completed":
                    break
            await dialer.drain()
        finally:
            await launcher.close()
        rows = await attempts(api, eid)
        assert [(a.outcome, a.status) for a in rows] == [("completed", "completed")] * 4, [
            (a.outcome, a.outcome_reason) for a in rows
        ]
        assert all(a.answered_at is not None and a.duration_ms is not None for a in rows)
        assert all(a.from_number == "+33987654320" for a in rows)
        assert sipp.wait(timeout=20) == 0  # sipp saw 4 complete calls (INVITE..BYE)
    finally:
        if sipp.poll() is None:
            sipp.kill()
            sipp.wait()
