from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select

from calls.export_kit import run_menu_campaign
from programs.campaign_kit import phone
from ringcast.calls.exports.jobs import jobs_for
from ringcast.calls.models import Job, Recording
from ringcast.programs.models import Execution


async def _export(api: Any, body: dict[str, Any]) -> dict[str, Any]:
    h = api.acme.headers()
    started = await api.client.post("/api/exports", json=body, headers=h)
    assert started.status_code == 202, started.text
    job = started.json()
    await jobs_for(api.app.state.ringcast).wait(job["id"])
    polled = await api.client.get(f"/api/exports/{job['id']}", headers=h)
    assert polled.status_code == 200, polled.text
    result: dict[str, Any] = polled.json()
    return result


async def test_export_has_one_row_per_contact_matching_the_call_reports(api):
    eid = await run_menu_campaign(api)
    h = api.acme.headers()
    job = await _export(api, {"executionId": eid})
    assert job["status"] == "completed" and job["rowsWritten"] == job["totalRows"] == 3
    download = await api.client.get(job["downloadUrl"], headers=h)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = {
        r["phone"]: r for r in csv.DictReader(io.StringIO(download.content.decode("utf-8-sig")))
    }
    # every text cell that could be a formula is quoted: phones and "=1+2" too
    first = rows[phone(0)]
    assert first["firstName"] == "Ann0" and first["lastName"] == "'-Smith"
    assert first["attr:plan"] == "gold0"
    assert first["key:menu"] == "1" and first["var:choice"] == "1"
    assert first["var:tag"] == "'=1+2"
    assert rows[phone(1)]["key:menu"] == "2"
    busy = rows[phone(2)]
    assert busy["finalOutcome"] == "busy" and busy["key:menu"] == "" and busy["amdResult"] == ""
    for row in rows.values():
        report = (await api.client.get(f"/api/call-report/{row['jobId']}", headers=h)).json()
        assert row["finalOutcome"] == report["finalOutcome"]
        assert int(row["attempts"]) == len(report["attempts"])
        last = report["attempts"][-1]
        assert row["outcomeReason"] == (last["outcomeReason"] or "")
        assert row["amdResult"] == (last["answeredBy"] or "")
        assert row["firstCallAt"][:19] == last["call"]["dialedAt"][:19]
        variables = (last["flowExecution"] or {}).get("finalVariables") or {}
        assert row["var:choice"] == variables.get("choice", "")


async def test_export_xlsx_and_program_scope(api):
    eid = await run_menu_campaign(api)
    h = api.acme.headers()
    program_id = (await api.client.get(f"/api/program-executions/{eid}", headers=h)).json()[
        "programId"
    ]
    job = await _export(api, {"programId": program_id, "format": "xlsx"})
    assert job["status"] == "completed" and job["rowsWritten"] == 3
    download = await api.client.get(job["downloadUrl"], headers=h)
    assert download.status_code == 200 and download.content[:2] == b"PK"
    empty = await _export(api, {"from": "2001-01-01T00:00:00Z", "to": "2001-01-02T00:00:00Z"})
    assert empty["status"] == "completed" and empty["rowsWritten"] == 0


async def test_export_errors(api):
    h = api.acme.headers()
    assert (
        await api.client.post("/api/exports", json={"executionId": "x"}, headers=h)
    ).status_code == 404
    bad = await api.client.post("/api/exports", json={"format": "pdf"}, headers=h)
    assert bad.status_code == 400
    naive = await api.client.post("/api/exports", json={"from": "2030-01-01T00:00:00"}, headers=h)
    assert naive.status_code == 400
    assert (await api.client.get("/api/exports/nope", headers=h)).status_code == 404
    assert (await api.client.get("/api/exports/../../x", headers=h)).status_code == 404
    eid = await run_menu_campaign(api)
    job = await _export(api, {"executionId": eid})
    other = await api.client.get(f"/api/exports/{job['id']}", headers=api.globex.headers())
    assert other.status_code == 404
    other = await api.client.get(job["downloadUrl"], headers=api.globex.headers())
    assert other.status_code == 404


async def test_export_links_recordings_when_the_flow_records(api):
    eid = await run_menu_campaign(api)
    state = api.app.state.ringcast
    async with state.sessions.begin() as s:
        execution = await s.get(Execution, eid)
        graph = dict(execution.flow_graph)
        graph["nodes"] = [
            *graph["nodes"],
            {"id": "rec", "type": "record", "config": {"variable": "msg"}, "outputs": {}},
        ]
        execution.flow_graph = graph
        job = (await s.execute(select(Job).where(Job.execution_id == eid))).scalars().first()
        s.add(
            Recording(
                organization_id=api.acme.organization_id,
                job_id=job.id,
                storage_key="x/y.wav",
                content_type="audio/wav",
                duration_ms=1000,
                size_bytes=10,
            )
        )
    job_id = str(job.id)
    exported = await _export(api, {"executionId": eid})
    download = await api.client.get(exported["downloadUrl"], headers=api.acme.headers())
    rows = {
        r["jobId"]: r for r in csv.DictReader(io.StringIO(download.content.decode("utf-8-sig")))
    }
    assert "var:msg" in rows[job_id]
    [link] = rows[job_id]["recordings"].split()
    assert link.startswith("http") and link.endswith("/stream") and "/api/recordings/" in link
    assert all(r["recordings"] == "" for k, r in rows.items() if k != job_id)
