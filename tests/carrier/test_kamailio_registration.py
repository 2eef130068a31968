"""`ringcast dialer` against Kamailio: a fixed SIP address from the start, the trunk
registered and kept alive from the start, calls that wait for the registration, a
trunk that cannot register reported as such (API fields only)."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from carrier.carrier_kit import sip_options
from carrier.pstn import start_pstn
from dialer.dialer_kit import jobs, launch


async def trunk_status(api: Any, trunk_id: str, want: str, timeout_s: float = 15) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        r = await api.client.get(f"/api/trunks/{trunk_id}", headers=api.acme.headers())
        assert r.status_code == 200, r.text
        if r.json()["status"] == want or time.monotonic() > deadline:
            return r.json()
        await asyncio.sleep(0.2)


async def create_trunk(api: Any, body: dict) -> str:
    r = await api.client.post("/api/trunks", json=body, headers=api.acme.headers())
    assert r.status_code == 201, r.text
    assert r.json()["status"] is None  # not checked before a dialer holds it
    return str(r.json()["id"])


async def final_report(api: Any, job_id: str, timeout_s: float = 40) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        r = await api.client.get(f"/api/call-report/{job_id}", headers=api.acme.headers())
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return r.json()
        await asyncio.sleep(0.25)


def registers_from(kamailio: Any, port: int) -> list[str]:
    return re.findall(rf"REQ REGISTER \S+ from 127\.0\.0\.1:{port} .*", kamailio.log)


async def test_the_dialer_listens_registers_and_keeps_alive_from_its_start(
    api, db_url, kamailio, dialer_process
):
    if not db_url.startswith("sqlite"):
        return  # one database is enough for SIP
    trunk_id = await create_trunk(api, kamailio.trunk(optionsIntervalSec=1))
    dialer = dialer_process()
    # the fixed SIP address answers the trunk before any call was placed (an address
    # that is no trunk's gets no answer at all: tests/secure/test_unknown_sources.py)
    assert sip_options("127.0.0.1", dialer.sip_port, source=kamailio.host) == "SIP/2.0 200 OK"
    up = await trunk_status(api, trunk_id, "up")
    assert (up["status"], up["lastError"]) == ("up", None), up
    assert up["statusAt"] is not None
    assert registers_from(kamailio, dialer.sip_port), kamailio.log[-2000:]
    # the registration is refreshed (Kamailio grants 4 s) and OPTIONS keeps going
    first = len(registers_from(kamailio, dialer.sip_port))
    await asyncio.sleep(5)
    assert len(registers_from(kamailio, dialer.sip_port)) >= first + 2
    options = re.findall(rf"REQ OPTIONS \S+ from 127\.0\.0\.1:{dialer.sip_port} ", kamailio.log)
    assert len(options) >= 3
    # the dialer's view of the trunk reaches the API's /metrics
    line = f'ringcast_trunk_status{{status="up",trunk="{trunk_id}"}} 1.0'
    for _ in range(50):
        metrics = (await api.client.get("/metrics")).text
        if line in metrics:
            break
        await asyncio.sleep(0.2)
    assert line in metrics, [m for m in metrics.splitlines() if "trunk" in m]
    # stopping the dialer removes the binding
    assert dialer.stop() == 0, dialer.log[-3000:]
    assert re.search(
        rf"REQ REGISTER \S+ from 127\.0\.0\.1:{dialer.sip_port} .*expires=0 ", kamailio.log
    ), kamailio.log[-2000:]
    assert sip_options("127.0.0.1", dialer.sip_port, 0.5, kamailio.host) is None  # closed


async def test_the_first_call_after_the_start_waits_for_the_registration(
    api, db_url, kamailio, dialer_process, tmp_path
):
    if not db_url.startswith("sqlite"):
        return
    await create_trunk(api, kamailio.trunk())
    _, eid = await launch(api, contacts=1, dids=1)  # due before the dialer even runs
    sipp = start_pstn(tmp_path, kamailio.pstn_port)
    try:
        dialer = dialer_process()
        (job,) = await jobs(api, eid)
        report = await final_report(api, job.id)
        assert report["finalOutcome"] == "completed", report
        (attempt,) = report["attempts"]
        assert attempt["call"]["answeredAt"] is not None
        assert sipp.wait(timeout=20) == 0  # the PSTN side got the call through Kamailio
        mine = re.findall(rf"REQ INVITE \S+ from 127\.0\.0\.1:{dialer.sip_port} .*", kamailio.log)
        assert mine and "INVITE from unregistered" not in kamailio.log, kamailio.log[-3000:]
    finally:
        if sipp.poll() is None:
            sipp.kill()
            sipp.wait()


async def test_a_trunk_that_cannot_register_is_reported_and_fails_calls_clearly(
    api, db_url, kamailio, dialer_process
):
    if not db_url.startswith("sqlite"):
        return
    trunk_id = await create_trunk(api, kamailio.trunk(password="wrong"))
    _, eid = await launch(api, contacts=1, dids=1)
    dialer_process(RINGCAST_SIP_REGISTER_WAIT_S="3")
    (job,) = await jobs(api, eid)
    report = await final_report(api, job.id)
    (attempt,) = report["attempts"]
    assert attempt["outcome"] == "failed"
    assert attempt["outcomeReason"].startswith("trunk_unregistered"), attempt
    assert "403" not in attempt["outcomeReason"]
    status = await trunk_status(api, trunk_id, "unregistered")
    assert status["status"] == "unregistered", status
    assert status["lastError"] == "REGISTER 401 Unauthorized", status
