"""SRTP through the API and the real dialer: a trunk's `srtp` reaches its calls.

A program on a `mandatory` trunk against sipp's plain UAS ends every attempt as
`failed` / `srtp_required`; on an `optional` trunk against baresip `srtp-mand` the
call completes over SRTP and its `media_stats` names the suite (never a key).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from dialer.dialer_kit import attempts, launch, run_to_the_end
from programs.campaign_kit import phone
from ringcast.dialer.sip_launcher import SipLauncher
from secure.srtp_kit import OURS, PEER, start_baresip, stop
from secure.test_srtp_peers import start_sipp_uas
from telephony.sip.test_baresip import chirp

pytestmark = pytest.mark.baresip


LISTEN_GRAPH: dict[str, Any] = {  # answer, beep, record 3 s of the callee, hang up
    "startNodeId": "dial-1",
    "nodes": [
        {"id": "dial-1", "type": "dial", "config": {"timeout": 30000, "enableAMD": False},
         "outputs": {"onAnswer": "rec", "default": "bye"}},
        {"id": "rec", "type": "record", "config": {"maxDuration": 3000, "silenceTimeout": 0},
         "outputs": {"onComplete": "bye", "onTimeout": "bye", "onError": "bye"}},
        {"id": "bye", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
    ],
}  # fmt: skip


async def run_program(api: Any, port: int, srtp: str, contacts: int) -> list[Any]:
    h = api.acme.headers()
    flow = await api.client.post(
        "/api/flows", json={"name": "listen", "graph": LISTEN_GRAPH}, headers=h
    )
    assert flow.status_code == 201, flow.text
    trunk = await api.client.post(
        "/api/trunks",
        json={"name": "srtp", "host": PEER, "port": port, "srtp": srtp,
              "srtpOverInsecureSignaling": True},
        headers=h,
    )  # fmt: skip
    assert trunk.status_code == 201, trunk.text
    _, eid = await launch(
        api, contacts=contacts, dids=1, callsPerSecond=10, maxConcurrentCalls=1,
        flowId=flow.json()["id"],
    )  # fmt: skip
    state = api.app.state.ringcast
    launcher = SipLauncher(state.sessions, state.storage, local_host=OURS)
    await run_to_the_end(api, eid, launcher, rounds=300)
    return await attempts(api, eid)


async def test_mandatory_trunk_program_against_plain_sipp(
    api: Any, db_url: str, tmp_path: Path
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("one database is enough for the SIP path")
    sipp = start_sipp_uas(tmp_path / "sipp", calls=2)
    try:
        await asyncio.sleep(0.3)
        rows = await run_program(api, sipp.port, "mandatory", contacts=2)
    finally:
        stop(sipp.proc)
    assert [(a.outcome, a.outcome_reason) for a in rows] == [("failed", "srtp_required")] * 2


async def test_optional_trunk_program_to_baresip_over_srtp(
    api: Any, db_url: str, tmp_path: Path
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("one database is enough for the SIP path")
    peer = start_baresip(tmp_path / "baresip", chirp(3.0, 300, 3000), "srtp-mand", user=phone(0))
    try:
        rows = await run_program(api, peer.port, "optional", contacts=1)
    finally:
        stop(peer.proc)
    assert [(a.outcome, a.status) for a in rows] == [("completed", "completed")], [
        (a.outcome, a.outcome_reason) for a in rows
    ]
    stats = next(e["data"] for e in rows[0].events if e["type"] == "media_stats")
    assert stats["srtp"] in ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32")
    assert stats["srtpFailed"] == 0 and stats["packetsReceived"] > 100, stats
    assert stats["packetsSent"] > 100
    assert "inline" not in json.dumps([r.events for r in rows])  # no key in the report
