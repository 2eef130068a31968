"""Issue 17 in the product: a forwarded call's legs in the call report, the CSV
exports and the dashboard call page; the bridged conversation stored as one
stereo recording (callee left, agent right) under the call's recordings."""

from __future__ import annotations

import csv
import io
import wave
from dataclasses import replace
from typing import Any

from dashboard.dashboard_kit import sign_in
from dialer.dialer_kit import clock_now, dialer, tick
from programs.campaign_kit import phone, seed_campaign
from ringcast.calls.recordings import StoredRecordingSink
from ringcast.dialer.simulated_launcher import INSTANT_HUMAN, SimulatedLauncher
from ringcast.flow import RunContext, compile_flow
from ringcast.flow.simulate import run_simulation

AGENT, SPARE = "+33612345670", "+33612345671"

FORWARD_GRAPH: dict[str, Any] = {
    "startNodeId": "dial",
    "nodes": [
        {"id": "dial", "type": "dial", "config": {"enableAMD": False},
         "outputs": {"onAnswer": "fwd"}},
        {"id": "fwd", "type": "forward",
         "config": {"to": [SPARE, AGENT], "ringTimeoutSec": 5, "maxDurationSec": 60},
         "outputs": {"onCompleted": "bye", "onNoAnswer": "bye", "onBusy": "bye",
                     "onFailed": "bye"}},
        {"id": "bye", "type": "hangup", "config": {"reason": "done"}},
    ],
}  # fmt: skip

# the first target is busy, the second answers and talks 12 s then hangs up
SCRIPT = replace(INSTANT_HUMAN, forward=("busy", "answer"), forward_ring_ms=2000,
                 forward_talk_ms=12000)  # fmt: skip


async def _forwarded_call(api: Any) -> tuple[str, str]:
    c = await seed_campaign(api, contacts=1, dids=1)
    h = api.acme.headers()
    flow = await api.client.post(
        "/api/flows", json={"name": "agent", "graph": FORWARD_GRAPH}, headers=h
    )
    assert flow.status_code == 201, flow.text
    body = {"contactId": c.contact_ids[0], "flowId": flow.json()["id"], "fromNumber": c.dids[0]}
    r = await api.client.post("/api/call-requests", json=body, headers=h)
    assert r.status_code == 201, r.text
    clock = clock_now()
    await tick(dialer(api, SimulatedLauncher(lambda _n: SCRIPT), clock), clock)
    report = (await api.client.get(f"/api/call-report/{r.json()['jobId']}", headers=h)).json()
    return r.json()["jobId"], report["executionId"]


async def test_the_call_report_lists_each_forwarded_leg(api):
    job_id, _ = await _forwarded_call(api)
    report = await api.client.get(f"/api/call-report/{job_id}", headers=api.acme.headers())
    [attempt] = report.json()["attempts"]
    busy, answered = attempt["legs"]
    assert (busy["to"], busy["outcome"], busy["sipStatus"]) == (SPARE, "busy", 486)
    assert busy["answeredAt"] is None and busy["durationMs"] is None and busy["hungUpBy"] is None
    assert (answered["to"], answered["outcome"], answered["reason"]) == (
        AGENT, "completed", "agent_hangup"
    )  # fmt: skip
    assert answered["hungUpBy"] == "agent" and answered["durationMs"] == 12000
    assert answered["from"] == attempt["call"]["from"] and answered["trunk"] == "sim"
    assert answered["answeredAt"] and answered["terminatedAt"] and answered["nodeId"] == "fwd"
    assert answered["recordingId"]  # simulate mode: an in-memory recording
    types = [e["type"] for e in attempt["events"]]
    assert types.count("forward_started") == 2 and "forward_answered" in types


async def test_the_exports_and_the_call_page_show_the_forward(api):
    job_id, execution_id = await _forwarded_call(api)
    h = api.acme.headers()
    r = await api.client.post(
        "/api/call-report/export", json={"executionId": execution_id}, headers=h
    )
    assert r.status_code == 200, r.text
    [row] = list(csv.DictReader(io.StringIO(r.text)))
    assert (row["forwardedTo"], row["forwardOutcome"], row["forwardDurationMs"]) == (
        AGENT, "completed", "12000"
    )  # fmt: skip
    await sign_in(api.client, api.acme.agent_key)
    report = (await api.client.get(f"/api/call-report/{job_id}", headers=h)).json()
    page = await api.client.get(f"/dashboard/calls/{job_id}")
    assert page.status_code == 200, page.text
    assert "Forwarded legs" in page.text and AGENT in page.text and "SIP 486" in page.text
    assert report["attempts"][0]["legs"][1]["hungUpBy"] in page.text


async def test_the_bridge_is_stored_as_one_stereo_recording_of_the_call(api):
    state = api.app.state.ringcast
    sink = StoredRecordingSink(state.storage, state.sessions, None)
    ctx = RunContext(
        call_id="call-fwd",
        contact={"primaryPhone": phone(0)},
        from_number="+33987654320",
        organization_id=api.acme.organization_id,
    )
    script = replace(INSTANT_HUMAN, forward=("answer",), forward_talk_ms=1500)
    trace = await run_simulation(compile_flow(FORWARD_GRAPH), ctx, script, recordings=sink)
    [leg] = trace.legs
    assert leg.recording_id is not None
    h = api.acme.headers()
    meta = (await api.client.get(f"/api/recordings/{leg.recording_id}", headers=h)).json()
    assert meta["callId"] == "call-fwd" and meta["nodeId"] == "fwd"
    assert meta["durationMs"] == 1500
    listed = (await api.client.get("/api/recordings", headers=h)).json()["data"]
    assert [x["id"] for x in listed] == [leg.recording_id]
    audio = await api.client.get(f"/api/recordings/{leg.recording_id}/stream", headers=h)
    assert audio.status_code == 200
    with wave.open(io.BytesIO(audio.content)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (2, 8000, 2)
        assert w.getnframes() == 1500 * 8
