from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from dialer.dialer_kit import BUSY, clock_now, dialer, launch, scripted, tick
from programs.campaign_kit import phone, seed_campaign
from ringcast.calls.models import Recording
from ringcast.calls.recordings import StoredRecordingSink
from ringcast.flow.context import RunContext
from support import tone_pcm


async def test_single_call_is_queued_dialed_and_reported(api):
    c = await seed_campaign(api, contacts=1, dids=2)
    h = api.acme.headers("manager")
    body = {"contactId": c.contact_ids[0], "flowId": c.flow_id, "fromNumber": c.dids[1]}
    r = await api.client.post("/api/call-requests", json=body, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "queued"
    job_id = r.json()["jobId"]
    report = (await api.client.get(f"/api/call-report/{job_id}", headers=h)).json()
    assert (report["status"], report["attempts"], report["finalOutcome"]) == ("queued", [], None)

    clock = clock_now()
    launcher = scripted()
    await tick(dialer(api, launcher, clock), clock)
    assert [p.caller_id for p in launcher.plans] == [c.dids[1]]
    report = (await api.client.get(f"/api/call-report/{job_id}", headers=h)).json()
    assert report["status"] == "completed" and report["finalOutcome"] == "completed"
    [attempt] = report["attempts"]
    assert set(attempt) >= {
        "callId",
        "attempt",
        "call",
        "outcome",
        "outcomeReason",
        "flowExecution",
        "events",
    }
    call = attempt["call"]
    assert call["from"] == c.dids[1] and call["to"] == phone(0)
    assert call["direction"] == "outbound" and call["dialedAt"] is not None
    assert set(call) >= {"status", "createdAt", "answeredAt", "terminatedAt", "durationMs"}
    flow = attempt["flowExecution"]
    assert flow["flowId"] == c.flow_id and flow["flowVersion"] == 1 and flow["flowName"] == "simple"
    assert [p["nodeId"] for p in flow["executionPath"]] == ["dial-1", "bye"]
    assert set(flow) >= {"finalVariables", "nodeExecutionCount", "flowStartedAt", "flowCompletedAt"}
    other = await api.client.get(f"/api/call-report/{job_id}", headers=api.globex.headers())
    assert other.status_code == 404
    assert (await api.client.get("/api/call-report/nope", headers=h)).status_code == 404
    # "²" is a digit to str.isdigit() but not to int(): a 404, not a 500
    superscript = await api.client.get("/api/call-report/%C2%B2", headers=h)
    assert superscript.status_code == 404
    assert superscript.json()["statusCode"] == 404
    recordings = await api.client.get("/api/recordings", params={"jobId": "²"}, headers=h)
    assert recordings.status_code == 200
    assert recordings.json()["data"] == []


async def test_call_request_validation(api):
    c = await seed_campaign(api, contacts=1, dids=1)
    h = api.acme.headers()
    cases = [
        ({"contactId": "x", "flowId": c.flow_id}, "contactId"),
        ({"contactId": c.contact_ids[0], "flowId": "x"}, "flowId"),
        (
            {"contactId": c.contact_ids[0], "flowId": c.flow_id, "fromNumber": "+33123456789"},
            "fromNumber",
        ),
        ({"contactId": c.contact_ids[0], "flowId": c.flow_id, "didId": "nope"}, "didId"),
        (
            {"contactId": c.contact_ids[0], "flowId": c.flow_id, "startAt": "2030-01-01T00:00:00"},
            "startAt",
        ),
    ]
    for body, field in cases:
        r = await api.client.post("/api/call-requests", json=body, headers=h)
        assert r.status_code == 400, (body, r.text)
        assert field in r.json()["fieldErrors"], (body, r.json())


async def test_single_call_with_retry_and_future_start(api):
    c = await seed_campaign(api, contacts=1, dids=1)
    h = api.acme.headers()
    start = datetime.now(UTC) + timedelta(minutes=5)
    body = {
        "contactId": c.contact_ids[0],
        "flowId": c.flow_id,
        "startAt": start.isoformat(),
        "retry": {"type": "fixed_delay", "delayMinutes": 1, "maxRetries": 1},
    }
    job_id = (await api.client.post("/api/call-requests", json=body, headers=h)).json()["jobId"]
    clock = clock_now()
    launcher = scripted({phone(0): BUSY})
    d = dialer(api, launcher, clock)
    await tick(d, clock)
    assert launcher.plans == []
    clock.set(start + timedelta(seconds=1))
    await tick(d, clock)
    await tick(d, clock, 61)
    report = (await api.client.get(f"/api/call-report/{job_id}", headers=h)).json()
    assert [a["outcome"] for a in report["attempts"]] == ["busy", "busy"]
    assert report["status"] == "failed" and report["finalOutcome"] == "busy"


async def test_export_csv_has_a_row_per_attempt(api):
    _, eid = await launch(api, contacts=3, callsPerSecond=100)
    clock = clock_now()
    await tick(dialer(api, scripted({phone(2): BUSY}), clock), clock)
    r = await api.client.post(
        "/api/call-report/export", json={"executionId": eid}, headers=api.acme.headers()
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert sorted((row["to"], row["outcome"]) for row in rows) == [
        (phone(0), "completed"),
        (phone(1), "completed"),
        (phone(2), "busy"),
    ]
    missing = await api.client.post("/api/call-report/export", json={}, headers=api.acme.headers())
    assert missing.status_code == 400


async def test_recordings_are_stored_listed_streamed_and_deleted(api):
    state = api.app.state.ringcast
    sink = StoredRecordingSink(state.storage, state.sessions, None)
    ctx = RunContext(call_id="call-1", organization_id=api.acme.organization_id)
    rid = await sink(tone_pcm(0.5, rate=8000), 500, ctx)
    h = api.acme.headers()
    listed = (await api.client.get("/api/recordings", headers=h)).json()
    assert [x["id"] for x in listed["data"]] == [rid]
    meta = (await api.client.get(f"/api/recordings/{rid}", headers=h)).json()
    assert meta["durationMs"] == 500 and meta["callId"] == "call-1"
    audio = await api.client.get(f"/api/recordings/{rid}/stream", headers=h)
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"
    assert len(audio.content) == meta["sizeBytes"]
    assert (
        await api.client.get(f"/api/recordings/{rid}", headers=api.globex.headers())
    ).status_code == 404
    assert (await api.client.delete(f"/api/recordings/{rid}", headers=h)).status_code == 204
    assert (await api.client.get(f"/api/recordings/{rid}", headers=h)).status_code == 404
    async with state.sessions() as s:
        assert await s.get(Recording, rid) is None
