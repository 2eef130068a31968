"""Inbound calls end to end: a PSTN caller (sipp) → Kamailio → `ringcast dialer`
(registered at Kamailio) → the flow bound to the DID, a key pressed; the call
report read through the API. Refusals: unknown number, no inbound flow, the trunk's
inbound cap."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from carrier.carrier_kit import PSTN_HOST, free_port
from carrier.pstn import call_in, call_refused
from ringcast.calls.models import Job
from ringcast.programs.models import Execution

ASSETS = Path(__file__).resolve().parent.parent / "telephony" / "sipp" / "assets"
DID = "+33987654320"
PRESS_ONE: dict[str, Any] = {
    "startNodeId": "answer",
    "nodes": [
        {"id": "answer", "type": "answer", "outputs": {"onSuccess": "ask", "onError": "bye"}},
        {
            "id": "ask",
            "type": "dtmf",
            "config": {
                "mode": "single_digit",
                "variable": "choice",
                "timeout": 8000,
                "singleDigitConfig": {"allowedDigits": ["1", "2"]},
                "retry": {"maxRetries": 0},
            },
            "outputs": {"branches": {"1": "thanks", "2": "bye"}, "onMaxRetries": "bye"},
        },
        {"id": "thanks", "type": "hangup", "config": {"reason": "confirmed"}, "outputs": {}},
        {"id": "bye", "type": "hangup", "config": {"reason": "completed"}, "outputs": {}},
    ],
}


async def setup(api: Any, kamailio: Any, with_flow: bool = True, **trunk: Any) -> str:
    h = api.acme.headers()
    r = await api.client.post("/api/trunks", json=kamailio.trunk(**trunk), headers=h)
    assert r.status_code == 201, r.text
    trunk_id = r.json()["id"]
    flow_id = None
    if with_flow:
        flow = await api.client.post(
            "/api/flows", json={"name": "press one", "graph": PRESS_ONE}, headers=h
        )
        assert flow.status_code == 201, flow.text
        flow_id = flow.json()["id"]
    did = {"number": DID, "country": "FR", "trunkId": trunk_id, "inboundFlowId": flow_id}
    r = await api.client.post("/api/dids", json=did, headers=h)
    assert r.status_code == 201, r.text
    return str(trunk_id)


async def registered(api: Any, trunk_id: str) -> None:
    h = api.acme.headers()
    for _ in range(100):  # registered at Kamailio: inbound calls can reach us
        r = await api.client.get(f"/api/trunks/{trunk_id}", headers=h)
        if r.json()["status"] == "up":
            break
        await asyncio.sleep(0.2)
    assert r.json()["status"] == "up", r.json()


def pstn_call(
    tmp: Path, kamailio: Any, number: str, scenario: str, host: str = PSTN_HOST
) -> subprocess.Popen[bytes]:
    path = tmp / f"in-{number}-{time.monotonic_ns()}.xml"
    from telephony.sipp.scenarios import END, HDR

    path.write_text(HDR.format(name="pstn in") + scenario + END)
    port = free_port(host)
    return subprocess.Popen(
        ["sipp", f"{kamailio.host}:{kamailio.port}", "-sf", str(path), "-s", number,
         "-i", host, "-p", str(port), "-mi", host, "-mp", str(free_port(host)),
         "-m", "1", "-nostdin", "-timeout", "40s",
         "-trace_msg", "-message_file", str(path.with_suffix(".log"))],
        cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def sipp_logs(tmp: Path) -> str:
    return "".join(p.read_text() for p in tmp.glob("in-*.log"))[-4000:]


async def wait_exit(proc: subprocess.Popen[bytes], timeout_s: float = 45) -> int:
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise AssertionError("sipp did not finish")
        await asyncio.sleep(0.2)
    return proc.returncode


async def inbound_jobs(api: Any) -> list[str]:
    async with api.app.state.ringcast.sessions() as s:
        rows = await s.execute(
            select(Job.id)
            .join(Execution, Execution.id == Job.execution_id)
            .where(Execution.kind == "inbound")
        )
        return [str(r) for r in rows.scalars().all()]


async def test_a_call_from_the_carrier_runs_the_dids_flow(
    api, db_url, kamailio, dialer_process, tmp_path
):
    if not db_url.startswith("sqlite"):
        return  # one database is enough for SIP
    trunk_id = await setup(api, kamailio)
    dialer_process()
    await registered(api, trunk_id)
    # the carrier sends the DID in national format: 0987654320
    sipp = pstn_call(tmp_path, kamailio, "0987654320", call_in(ASSETS / "dtmf_2833_1.pcap"))
    assert await wait_exit(sipp) == 0, sipp_logs(tmp_path)
    for _ in range(50):
        jobs = await inbound_jobs(api)
        report = None
        if jobs:
            r = await api.client.get(f"/api/call-report/{jobs[0]}", headers=api.acme.headers())
            report = r.json()
            if report["status"] == "completed":
                break
        await asyncio.sleep(0.2)
    assert report is not None and report["status"] == "completed", report
    (attempt,) = report["attempts"]
    assert attempt["call"]["direction"] == "inbound"
    assert (attempt["call"]["from"], attempt["call"]["to"]) == ("+33612345678", DID)
    assert attempt["call"]["answeredAt"] is not None
    flow = attempt["flowExecution"]
    assert [p["nodeId"] for p in flow["executionPath"]] == ["answer", "ask", "thanks"], flow
    assert flow["finalVariables"]["choice"] == "1"
    assert any(e["type"] == "dtmf_received" for e in attempt["events"]), attempt["events"]
    # listed with the inbound calls, and not with the outbound ones
    h = api.acme.headers()
    listed = (await api.client.get("/api/call-report?direction=inbound", headers=h)).json()
    assert [(c["jobId"], c["direction"], c["to"]) for c in listed["data"]] == [
        (str(jobs[0]), "inbound", DID)
    ], listed
    outbound = (await api.client.get("/api/call-report?direction=outbound", headers=h)).json()
    assert outbound["meta"]["total"] == 0, outbound


async def test_calls_we_cannot_take_are_refused_with_a_reason(
    api, db_url, kamailio, dialer_process, tmp_path
):
    if not db_url.startswith("sqlite"):
        return
    trunk_id = await setup(api, kamailio, with_flow=False)
    dialer = dialer_process()
    await registered(api, trunk_id)
    unknown = pstn_call(tmp_path, kamailio, "0999999999", call_refused(404))
    no_flow = pstn_call(tmp_path, kamailio, DID, call_refused(404))
    assert await wait_exit(unknown) == 0
    assert await wait_exit(no_flow) == 0
    logs = sipp_logs(tmp_path)
    assert "SIP/2.0 404 Not Found" in logs and "SIP/2.0 404 No Inbound Flow" in logs, logs
    assert await inbound_jobs(api) == []
    assert "refused" in dialer.log


async def test_the_trunks_inbound_cap_answers_busy(api, db_url, kamailio, dialer_process, tmp_path):
    if not db_url.startswith("sqlite"):
        return
    trunk_id = await setup(api, kamailio, maxInboundCalls=0)
    dialer_process()
    await registered(api, trunk_id)
    busy = pstn_call(tmp_path, kamailio, DID, call_refused(486))
    assert await wait_exit(busy) == 0
    assert await inbound_jobs(api) == []
