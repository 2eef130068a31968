"""Issue 20: what AMD decided, and why, in every report of an attempt: the call
report (`answeredBy`, `amdReason`, `amdDecisionMs`, `amdGreetingMs`), the call
report CSV, the per-contact export and the dashboard's call page."""

from __future__ import annotations

import csv
import io
from typing import Any

from calls.test_exports import _export
from dashboard.dashboard_kit import sign_in
from dialer.dialer_kit import clock_now, dialer, job_for, scripted, tick
from dialer.test_amd_column import AMD_GRAPH
from programs.campaign_kit import phone, seed_campaign
from ringcast.telephony.simulated import CalleeScript

AMD_FIELDS = ("answeredBy", "amdReason", "amdDecisionMs", "amdGreetingMs")


async def _run(api: Any, flow_id: str | None, contacts: int = 3) -> tuple[str, dict[str, str]]:
    """Launch a program on `flow_id` (None: the campaign's flow, AMD off); job id per phone."""
    c = await seed_campaign(api, contacts=contacts)
    h = api.acme.headers()
    body = c.program(flowId=flow_id) if flow_id else c.program()
    r = await api.client.post("/api/programs", json=body, headers=h)
    assert r.status_code == 201, r.text
    launched = await api.client.post(f"/api/programs/{r.json()['id']}/launch", headers=h)
    assert launched.status_code == 201, launched.text
    eid = str(launched.json()["executionId"])
    callees = {
        phone(0): CalleeScript(answer="machine", ring_ms=0, amd_ms=1800),
        phone(1): CalleeScript(answer="human", ring_ms=0, amd_ms=900, speech_ms=0),
        phone(2): CalleeScript(answer="busy", ring_ms=0),
    }
    clock = clock_now()
    d = dialer(api, scripted(callees), clock)
    for _ in range(5):
        await tick(d, clock, 1)
    jobs = {phone(i): str((await job_for(api, eid, phone(i))).id) for i in range(contacts)}
    return eid, jobs


async def _amd_flow(api: Any) -> str:
    h = api.acme.headers()
    flow = await api.client.post("/api/flows", json={"name": "amd", "graph": AMD_GRAPH}, headers=h)
    assert flow.status_code == 201, flow.text
    return str(flow.json()["id"])


def _fields(attempt: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(attempt[k] for k in AMD_FIELDS)


async def test_call_report_says_what_amd_decided_and_why(api):
    eid, jobs = await _run(api, await _amd_flow(api))
    h = api.acme.headers()
    reports = {
        p: (await api.client.get(f"/api/call-report/{job}", headers=h)).json()
        for p, job in jobs.items()
    }
    [machine] = reports[phone(0)]["attempts"]
    [human] = reports[phone(1)]["attempts"]
    [busy] = reports[phone(2)]["attempts"]
    assert _fields(machine) == ("machine", "long_greeting", 1800, None)
    assert _fields(human) == ("human", "after_greeting_silence", 900, None)
    assert _fields(busy) == (None, None, None, None)  # never answered

    # the call-report CSV: one row per attempt, the same four columns
    r = await api.client.post("/api/call-report/export", json={"executionId": eid}, headers=h)
    assert r.status_code == 200, r.text
    rows = {row["to"]: row for row in csv.DictReader(io.StringIO(r.text)) if row["to"]}
    assert [rows[phone(0)][k] for k in AMD_FIELDS] == ["machine", "long_greeting", "1800", ""]
    assert [rows[phone(1)][k] for k in AMD_FIELDS] == [
        "human",
        "after_greeting_silence",
        "900",
        "",
    ]
    assert [rows[phone(2)][k] for k in AMD_FIELDS] == ["", "", "", ""]

    # the per-contact export (CSV / XLSX share the columns)
    job = await _export(api, {"executionId": eid})
    download = await api.client.get(job["downloadUrl"], headers=h)
    per_contact = {
        row["phone"]: row
        for row in csv.DictReader(io.StringIO(download.content.decode("utf-8-sig")))
    }
    picked = ("amdResult", "amdReason", "amdDecisionMs")
    assert [per_contact[phone(0)][k] for k in picked] == ["machine", "long_greeting", "1800"]
    assert [per_contact[phone(1)][k] for k in picked] == [
        "human",
        "after_greeting_silence",
        "900",
    ]
    assert [per_contact[phone(2)][k] for k in picked] == ["", "", ""]

    # the dashboard's call page
    await sign_in(api.client, api.acme.manager_key)
    page = await api.client.get(f"/dashboard/calls/{jobs[phone(0)]}")
    assert page.status_code == 200
    assert 'data-answered-by="machine"' in page.text
    assert 'data-amd-reason="long_greeting"' in page.text
    assert 'data-amd-decision-ms="1800"' in page.text


async def test_answered_without_amd_is_not_run(api):
    eid, jobs = await _run(api, None, contacts=2)  # the campaign's flow: enableAMD false
    h = api.acme.headers()
    report = (await api.client.get(f"/api/call-report/{jobs[phone(1)]}", headers=h)).json()
    [attempt] = report["attempts"]
    assert attempt["call"]["answeredAt"] is not None
    assert _fields(attempt) == ("not run", None, None, None)
    r = await api.client.post("/api/call-report/export", json={"executionId": eid}, headers=h)
    rows = {row["to"]: row for row in csv.DictReader(io.StringIO(r.text)) if row["to"]}
    assert rows[phone(1)]["answeredBy"] == "not run" and rows[phone(1)]["amdReason"] == ""
    await sign_in(api.client, api.acme.manager_key)
    page = await api.client.get(f"/dashboard/calls/{jobs[phone(1)]}")
    assert 'data-answered-by="not run"' in page.text
