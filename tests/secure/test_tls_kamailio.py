"""SIP over TLS against an independent peer: Kamailio with its TLS module as the
carrier (certificates from a throwaway CA, tls_kit.py), sipp as the PSTN behind it,
`ringcast dialer` with a TLS listener. Outbound and inbound calls complete over TLS;
tcpdump on the trunk's TLS connections sees the handshake (SNI) and no SIP in clear;
a certificate from the wrong CA or for the wrong name fails the call with a clear
reason in the API's call report."""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import carrier.test_kamailio_inbound as inbound
import carrier.test_kamailio_registration as registration
from carrier.carrier_kit import DialerProcess, Kamailio, free_port, terminate
from carrier.pstn import call_in, start_pstn
from dialer.dialer_kit import LISTEN_A_SECOND, jobs, launch
from secure.tls_kit import CARRIER_NAME, PSTN_SIDE, Pki
from support import require_tool

CLEAR_SIP = (b"SIP/2.0", b"INVITE ", b"REGISTER ", b"Call-ID", b"CSeq")


def tls_trunk(kam: Kamailio, pki: Pki, **over: Any) -> dict[str, Any]:
    assert kam.tls_port is not None
    body = kam.trunk(
        transport="tls", port=kam.tls_port, tlsCaBundle=pki.ca_pem, tlsServerName=CARRIER_NAME
    )
    return {**body, **over}


def tls_dialer(start: Any, pki: Pki) -> tuple[DialerProcess, int]:
    """`ringcast dialer` with its TLS listener (our certificate) on a free port."""
    port = free_port()
    dialer = start(
        RINGCAST_SIP_TLS_CERT_FILE=str(pki.ringcast_cert),
        RINGCAST_SIP_TLS_KEY_FILE=str(pki.ringcast_key),
        RINGCAST_SIP_TLS_PORT=str(port),
    )
    return dialer, port


class Capture:
    def __init__(self, path: Path) -> None:
        self.path = path

    def payload(self) -> bytes:
        return self.path.read_bytes() if self.path.exists() else b""


@contextlib.contextmanager
def capture(path: Path, bpf: str) -> Iterator[Capture]:
    """tcpdump on lo with `bpf`, whole packets, written as they come (-U)."""
    require_tool("tcpdump")
    proc = subprocess.Popen(
        ["tcpdump", "-i", "lo", "-U", "-s", "0", "-n", "-w", str(path), bpf],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    line = proc.stderr.readline()  # "listening on lo, ...": capturing from here on
    assert b"listening" in line, line
    try:
        yield Capture(path)
    finally:
        time.sleep(0.5)
        terminate(proc, 5)


def assert_no_clear_sip(wire: bytes) -> None:
    assert len(wire) > 2000, len(wire)  # the capture saw the TLS traffic...
    for clear in CLEAR_SIP:
        assert clear not in wire, clear  # ...and no SIP in it


async def first_attempt(api: Any, job_id: str, timeout_s: float = 40) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        r = await api.client.get(f"/api/call-report/{job_id}", headers=api.acme.headers())
        attempts = r.json().get("attempts") or []
        if (attempts and attempts[0].get("outcome")) or time.monotonic() > deadline:
            assert attempts, r.json()
            return dict(attempts[0])
        await asyncio.sleep(0.25)


async def test_an_outbound_call_over_tls_through_kamailio_completes(
    api, db_url, tls_kamailio, dialer_process, pki, tmp_path
):
    if not db_url.startswith("sqlite"):
        return  # one database is enough for SIP
    kam = tls_kamailio
    trunk_id = await registration.create_trunk(api, tls_trunk(kam, pki))
    sipp = start_pstn(tmp_path, kam.pstn_port, host=PSTN_SIDE)
    try:
        with capture(tmp_path / "trunk.pcap", f"host {kam.host} and tcp port {kam.tls_port}") as w:
            tls_dialer(dialer_process, pki)
            up = await registration.trunk_status(api, trunk_id, "up")
            assert up["status"] == "up", up  # registered over TLS
            # the callee talks, the flow listens a second: a call that carries media
            _, eid = await launch(api, contacts=1, dids=1, graph=LISTEN_A_SECOND)
            (job,) = await jobs(api, eid)
            report = await registration.final_report(api, job.id)
            assert report["finalOutcome"] == "completed", report
            (attempt,) = report["attempts"]
            assert attempt["call"]["answeredAt"] is not None
            assert sipp.wait(timeout=20) == 0  # the PSTN side got the call through Kamailio
    finally:
        if sipp.poll() is None:
            sipp.kill()
            sipp.wait()
    # Kamailio took our REGISTER and INVITE over TLS
    assert re.search(r"REQ REGISTER \S+ from 127\.0\.0\.1:\d+ .*proto=tls", kam.log), kam.log
    assert re.search(r"REQ INVITE \S+ from 127\.0\.0\.1:\d+ .*proto=tls", kam.log), kam.log
    wire = w.payload()
    assert CARRIER_NAME.encode() in wire  # SNI, in the ClientHello
    assert_no_clear_sip(wire)


async def test_an_inbound_call_over_tls_runs_the_dids_flow(
    api, db_url, tls_kamailio, dialer_process, pki, tmp_path
):
    if not db_url.startswith("sqlite"):
        return
    kam = tls_kamailio
    body = tls_trunk(kam, pki)
    body.pop("name"), body.pop("host"), body.pop("username"), body.pop("password")
    trunk_id = await inbound.setup(api, kam, **body)
    _, our_tls_port = tls_dialer(dialer_process, pki)
    await inbound.registered(api, trunk_id)
    with capture(tmp_path / "in.pcap", f"tcp port {our_tls_port}") as w:
        pcap = inbound.ASSETS / "dtmf_2833_1.pcap"
        sipp = inbound.pstn_call(tmp_path, kam, "0987654320", call_in(pcap), host=PSTN_SIDE)
        assert await inbound.wait_exit(sipp) == 0, inbound.sipp_logs(tmp_path)
    report = None
    for _ in range(50):
        found = await inbound.inbound_jobs(api)
        if found:
            r = await api.client.get(f"/api/call-report/{found[0]}", headers=api.acme.headers())
            report = r.json()
            if report["status"] == "completed":
                break
        await asyncio.sleep(0.2)
    assert report is not None and report["status"] == "completed", report
    (attempt,) = report["attempts"]
    assert attempt["call"]["direction"] == "inbound"
    assert attempt["call"]["to"] == inbound.DID
    path = [p["nodeId"] for p in attempt["flowExecution"]["executionPath"]]
    assert path == ["answer", "ask", "thanks"], attempt["flowExecution"]
    assert_no_clear_sip(w.payload())  # Kamailio reached our TLS listener, in TLS only


@pytest.mark.parametrize(
    ("wrong", "why"),
    [
        ("ca", "tls_certificate: unable to get local issuer certificate"),
        ("name", "tls_certificate: Hostname mismatch"),
    ],
)
async def test_a_wrong_carrier_certificate_fails_the_call_with_a_clear_reason(
    api, db_url, tls_kamailio, dialer_process, pki, wrong, why
):
    if not db_url.startswith("sqlite"):
        return
    over: dict[str, Any] = {"register": False, "optionsIntervalSec": 1}
    if wrong == "ca":
        over["tlsCaBundle"] = pki.other_ca_pem
    else:
        over["tlsServerName"] = "other.carrier.test"
    trunk_id = await registration.create_trunk(api, tls_trunk(tls_kamailio, pki, **over))
    invites_before = len(re.findall(r"REQ INVITE .*proto=tls", tls_kamailio.log))
    tls_dialer(dialer_process, pki)
    _, eid = await launch(api, contacts=1, dids=1)
    (job,) = await jobs(api, eid)
    attempt = await first_attempt(api, job.id)
    assert attempt["outcome"] == "failed", attempt
    assert attempt["outcomeReason"].startswith(why), attempt
    # the trunk's status says why too (its OPTIONS keepalive cannot get through)
    down = await registration.trunk_status(api, trunk_id, "down")
    assert down["status"] == "down" and down["lastError"].startswith(f"OPTIONS {why}"), down
    # nothing was sent to a carrier we could not verify
    assert len(re.findall(r"REQ INVITE .*proto=tls", tls_kamailio.log)) == invites_before
