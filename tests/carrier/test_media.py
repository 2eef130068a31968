"""Media the way carriers send it, through `ringcast dialer` and read back from the API:
RTP from another port than the SDP's (sipp's own RTP sender, rtp_stream), and an
answer that carries no RTP at all (the media watchdog)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from dialer.dialer_kit import jobs
from programs.campaign_kit import seed_campaign
from telephony.sipp.scenarios import (
    ASSETS,
    END,
    HDR,
    OK_SDP,
    RECV_ACK,
    RECV_INVITE,
    RINGING,
    TRYING,
    WAIT_BYE,
    pause,
    play,
)

WAIT_FOR_A_KEY: dict[str, Any] = {
    "startNodeId": "dial",
    "nodes": [
        {
            "id": "dial",
            "type": "dial",
            "config": {"timeout": 30000, "enableAMD": False},
            "outputs": {"onAnswer": "ask", "default": "bye"},
        },
        {
            "id": "ask",
            "type": "dtmf",
            "config": {
                "mode": "single_digit",
                "variable": "choice",
                "timeout": 3000,
                "singleDigitConfig": {"allowedDigits": ["1"]},
                "retry": {"maxRetries": 0},
            },
            "outputs": {"branches": {"1": "bye"}, "onMaxRetries": "bye"},
        },
        {"id": "bye", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
    ],
}
# the SDP names port 9 (discard): the RTP comes from sipp's RTP port all the same
ELSEWHERE = (
    RECV_INVITE + TRYING + RINGING
    + OK_SDP.replace("m=audio [rtpstream_audio_port]", "m=audio 9")
    + RECV_ACK + play(str(ASSETS / "callee_human.ulaw")) + WAIT_BYE
)  # fmt: skip
SILENT = RECV_INVITE + TRYING + RINGING + OK_SDP + RECV_ACK + pause(200) + WAIT_BYE


async def place_one_call(
    api: Any, sipp: Any, dialer_process: Any, graph: dict[str, Any] = WAIT_FOR_A_KEY, **env: str
) -> dict:
    """One call of a program on `graph` to the sipp peer: its final call report."""
    h = api.acme.headers()
    trunk = {"name": "sipp", "host": "127.0.0.1", "port": sipp.port, "optionsIntervalSec": 0}
    r = await api.client.post("/api/trunks", json=trunk, headers=h)
    assert r.status_code == 201, r.text
    c = await seed_campaign(api, contacts=1, dids=1)
    r = await api.client.put(f"/api/flows/{c.flow_id}", json={"graph": graph}, headers=h)
    assert r.status_code == 200, r.text
    _, eid = await launch_again(api, c)
    dialer_process(**env)
    (job,) = await jobs(api, eid)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        report = (await api.client.get(f"/api/call-report/{job.id}", headers=h)).json()
        if report["status"] in ("completed", "failed"):
            return dict(report)
        await asyncio.sleep(0.25)
    raise AssertionError(f"no final report: {report}")


async def launch_again(api: Any, c: Any) -> tuple[Any, str]:
    """A program on the campaign's flow as it is now (its latest version)."""
    h = api.acme.headers()
    r = await api.client.post("/api/programs", json=c.program(name="media"), headers=h)
    assert r.status_code == 201, r.text
    launched = await api.client.post(f"/api/programs/{r.json()['id']}/launch", headers=h)
    assert launched.status_code == 201, launched.text
    return c, launched.json()["executionId"]


def scenario_peer(sipp: Any, workdir: Any, name: str, body: str, **kwargs: Any) -> Any:
    path = workdir / f"{name}.xml"
    path.write_text(HDR.format(name=name) + body + END)
    return sipp(name, scenario_path=path, **kwargs)


def media_stats(attempt: dict) -> dict:
    (event,) = [e for e in attempt["events"] if e["type"] == "media_stats"]
    return dict(event["data"])


async def test_rtp_from_another_port_than_the_sdp_is_latched(
    api, db_url, sipp, dialer_process, tmp_path
):
    if not db_url.startswith("sqlite"):
        return  # one database is enough for SIP
    peer = scenario_peer(sipp, tmp_path, "elsewhere", ELSEWHERE)
    report = await place_one_call(api, peer, dialer_process)
    attempt = report["attempts"][-1]
    assert attempt["call"]["answeredAt"] is not None, attempt
    stats = media_stats(attempt)
    assert stats["latched"] == 1, stats
    assert stats["remote"] != "127.0.0.1:9", stats
    assert stats["packetsReceived"] > 50, stats  # the callee's audio reached us
    assert stats["packetsSent"] > 50 and stats["lossPercent"] <= 5, stats
    assert stats["rtcpSent"] >= 1, stats  # sender reports went out (sipp sends none back)
    assert attempt["outcomeReason"] != "no_media"


async def test_an_answer_without_media_fails_as_media_timeout(
    api, db_url, sipp, dialer_process, tmp_path
):
    if not db_url.startswith("sqlite"):
        return
    peer = scenario_peer(sipp, tmp_path, "silent", SILENT)
    report = await place_one_call(api, peer, dialer_process, RINGCAST_MEDIA_TIMEOUT_S="1.5")
    attempt = report["attempts"][-1]
    assert (attempt["outcome"], attempt["outcomeReason"]) == ("failed", "media_timeout"), attempt
    assert media_stats(attempt)["packetsReceived"] == 0


async def test_an_answer_with_no_rtp_is_a_failure_not_a_completed_call(
    api, db_url, sipp, dialer_process, tmp_path
):
    """sipp answers and sends nothing; the flow ends by itself (its key prompt times out)
    before the media watchdog would: still `failed` / `no_media`, in the report and the CSV."""
    if not db_url.startswith("sqlite"):
        return
    peer = scenario_peer(sipp, tmp_path, "silent", SILENT)
    report = await place_one_call(api, peer, dialer_process)
    attempt = report["attempts"][-1]
    assert attempt["call"]["answeredAt"] is not None, attempt
    assert (attempt["outcome"], attempt["outcomeReason"]) == ("failed", "no_media"), attempt
    assert (report["status"], report["finalOutcome"]) == ("failed", "failed"), report
    assert media_stats(attempt)["packetsReceived"] == 0
    assert any(p["nodeId"] == "bye" for p in attempt["flowExecution"]["executionPath"])
    h = api.acme.headers()
    eid = (await api.client.get("/api/program-executions", headers=h)).json()["data"][0]["id"]
    r = await api.client.post("/api/call-report/export", json={"executionId": eid}, headers=h)
    assert r.status_code == 200, r.text
    header, row = r.text.splitlines()[:2]
    columns = dict(zip(header.split(","), row.split(","), strict=False))
    assert (columns["outcome"], columns["outcomeReason"]) == ("failed", "no_media"), columns
    # ... and in /metrics (the dialer process's figures, written every few seconds)
    want = 'ringcast_calls_without_media_total{direction="outbound",reason="no_media"} 1.0'
    deadline = time.monotonic() + 15
    while want not in (text := (await api.client.get("/metrics")).text):
        assert time.monotonic() < deadline, text[-2000:]
        await asyncio.sleep(0.5)
    assert 'ringcast_calls_total{direction="outbound",outcome="failed"} 1.0' in text
