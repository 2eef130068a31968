"""The production launcher end to end: program → dialer → SIP calls answered by sipp."""

from __future__ import annotations

import copy
import socket
import subprocess
import time

import pytest

from dialer.dialer_kit import LISTEN_A_SECOND, attempts, launch, run_to_the_end
from ringcast.dialer import sip_launcher
from ringcast.dialer.sip_launcher import SipLauncher
from ringcast.telephony.amd import frames
from ringcast.telephony.amd.detector import AmdDetector
from ringcast.telephony.amd.silero_pool import SileroPool
from support import require_tool


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("media_workers", "amd"), [(0, False), (2, False), (0, True)])
async def test_program_calls_go_out_over_sip(
    api, db_url, tmp_path, monkeypatch, media_workers, amd
):
    """With AMD (issue 21): its Silero model was built at the 200 OK, on the dialer's
    loop (40-300 ms each; a campaign's first 40 answers stalled every call for seconds).
    The launcher reserves each AMD call's model in the pool's thread before its INVITE:
    sipp answers at once, and still no model is built on the loop."""
    require_tool("sipp")
    if not db_url.startswith("sqlite"):
        pytest.skip("one database is enough for the SIP path")
    pool = SileroPool(spare=1)
    monkeypatch.setattr(frames, "POOL", pool)
    monkeypatch.setattr(sip_launcher, "SILERO_POOL", pool)
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
        graph = copy.deepcopy(LISTEN_A_SECOND)
        graph["nodes"][0]["config"]["enableAMD"] = amd
        _, eid = await launch(api, 4, 1, graph, callsPerSecond=20, maxConcurrentCalls=4)
        state = api.app.state.ringcast
        launcher = SipLauncher(
            state.sessions,
            state.storage,
            media_workers=media_workers,
            amd_factory=AmdDetector if amd else None,
        )
        if media_workers:  # RTP in worker processes, started with the process
            await launcher.start()
        await run_to_the_end(api, eid, launcher)
        rows = await attempts(api, eid)
        assert [(a.outcome, a.status) for a in rows] == [("completed", "completed")] * 4, [
            (a.outcome, a.outcome_reason) for a in rows
        ]
        assert all(a.answered_at is not None and a.duration_ms is not None for a in rows)
        assert all(a.from_number == "+33987654320" for a in rows)
        stats = [e["data"] for a in rows for e in a.events if e["type"] == "media_stats"]
        assert len(stats) == 4 and all(s["remote"] for s in stats), stats
        if amd:
            assert pool.total >= 4  # every call ran AMD on a pooled model...
            assert pool.built_inline == 0  # ...none of them built on the loop
        assert sipp.wait(timeout=20) == 0  # sipp saw 4 complete calls (INVITE..BYE)
    finally:
        if sipp.poll() is None:
            sipp.kill()
            sipp.wait()
