"""`ringcast dialer` against Kamailio: a fixed SIP address from the start, the trunk
registered and kept alive from the start, calls that wait for the registration, a
trunk that cannot register reported as such (API fields only)."""

from __future__ import annotations

import asyncio
import random
import re
import socket
import time
from typing import Any

from carrier.carrier_kit import PSTN_HOST, sip_options
from carrier.pstn import start_pstn
from dialer.dialer_kit import LISTEN_A_SECOND, jobs, launch


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
    # due before the dialer even runs; the callee talks and the flow listens (media)
    _, eid = await launch(api, contacts=1, dids=1, graph=LISTEN_A_SECOND)
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


def pstn_invite(kamailio: Any, number: str = "0987654320", timeout_s: float = 3.0) -> str | None:
    """An INVITE from the PSTN side to our account through Kamailio: the status line of
    the first final answer (480 "Account Not Registered" when no contact is bound)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((PSTN_HOST, 0))
        s.settimeout(timeout_s)
        me = s.getsockname()[1]
        target = f"sip:{number}@{kamailio.host}:{kamailio.port}"
        s.sendto(
            (
                f"INVITE {target} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {PSTN_HOST}:{me};branch=z9hG4bK{random.getrandbits(40):x}\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <sip:+33612345678@{PSTN_HOST}>;tag={random.getrandbits(32):x}\r\n"
                f"To: <{target}>\r\n"
                f"Call-ID: probe-{random.getrandbits(48):x}\r\n"
                f"CSeq: 1 INVITE\r\nContact: <sip:probe@{PSTN_HOST}:{me}>\r\n"
                "Content-Length: 0\r\n\r\n"
            ).encode(),
            (kamailio.host, kamailio.port),
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                status = s.recv(4096).split(b"\r\n", 1)[0].decode()
            except OSError:
                return None
            if not status.startswith("SIP/2.0 1"):
                return status
    return None


async def test_the_unregister_at_sigterm_answers_the_registrars_challenge(
    api, db_url, kamailio, dialer_process
):
    """Kamailio challenges every REGISTER, the Expires: 0 of our shutdown too (401): the
    dialer answers it before it goes, and the binding is gone (no stale contact that would
    take the next inbound call)."""
    if not db_url.startswith("sqlite"):
        return
    trunk_id = await create_trunk(api, kamailio.trunk())
    dialer = dialer_process()
    assert (await trunk_status(api, trunk_id, "up"))["status"] == "up"
    assert dialer.stop() == 0, dialer.log[-3000:]
    port = dialer.sip_port
    removals = re.findall(
        rf"REQ REGISTER \S+ from 127\.0\.0\.1:{port} .*expires=0 auth=(\S*)", kamailio.log
    )
    assert removals[:2] == ["<null>", "ringcast"], kamailio.log[-3000:]  # challenged, then answered
    assert pstn_invite(kamailio) == "SIP/2.0 480 Account Not Registered", kamailio.log[-2000:]
