"""A trunk known by its credentials, not its address (`inboundDigest`): sipp calls
`ringcast dialer` from an address of no trunk, is challenged 407, answers with the
trunk's username and password ([authentication]) and its call runs the DID's flow,
a key pressed; wrong credentials never get through. Addresses 127.0.0.7x."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

from carrier.carrier_kit import free_port
from carrier.pstn import call_in, call_refused
from carrier.test_kamailio_inbound import ASSETS, DID, PRESS_ONE, sipp_logs, wait_exit
from ringcast.telephony.sip.inbound_auth import DigestGate
from ringcast.telephony.sip.message import parse_message
from telephony.sipp.scenarios import END, HDR

CARRIER_HOST = "127.0.0.71"  # where the trunk is said to be: nobody, its calls come from .72
CALLER_HOST = "127.0.0.72"
USER, PASSWORD = "carrier-acct", "in-s3cret"


def authenticated_call(password: str) -> str:
    """INVITE, 407, the INVITE again with credentials ([authentication]), then the call
    of `call_in` (RFC 4733 key 1, our BYE)."""
    plain = call_in(ASSETS / "dtmf_2833_1.pcap")
    challenged = call_refused(407).replace('response="407"', 'response="407" auth="true"')
    again = plain.replace(
        "CSeq: 1 INVITE",
        f"CSeq: 2 INVITE\n      [authentication username={USER} password={password}]",
    ).replace("CSeq: 1 ACK", "CSeq: 2 ACK")
    return challenged + again


def call_from_elsewhere(tmp: Path, port: int, scenario: str) -> subprocess.Popen[bytes]:
    path = tmp / f"in-digest-{time.monotonic_ns()}.xml"
    path.write_text(HDR.format(name="digest in") + scenario + END)
    return subprocess.Popen(
        ["sipp", f"127.0.0.1:{port}", "-sf", str(path), "-s", "0987654320",
         "-i", CALLER_HOST, "-p", str(free_port(CALLER_HOST)), "-mi", CALLER_HOST,
         "-mp", str(free_port(CALLER_HOST)), "-m", "1", "-nostdin", "-timeout", "30s",
         "-trace_msg", "-message_file", str(path.with_suffix(".log"))],
        cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def setup(api: Any) -> None:
    h = api.acme.headers()
    trunk = {"name": "cloud carrier", "host": CARRIER_HOST, "username": USER,
             "password": PASSWORD, "inboundDigest": True, "optionsIntervalSec": 0}  # fmt: skip
    r = await api.client.post("/api/trunks", json=trunk, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["inboundDigest"] is True
    flow = await api.client.post("/api/flows", json={"name": "p", "graph": PRESS_ONE}, headers=h)
    assert flow.status_code == 201, flow.text
    did = {"number": DID, "country": "FR", "trunkId": r.json()["id"],
           "inboundFlowId": flow.json()["id"]}  # fmt: skip
    r = await api.client.post("/api/dids", json=did, headers=h)
    assert r.status_code == 201, r.text


async def test_a_digest_authenticated_invite_from_anywhere_runs_the_dids_flow(
    api, db_url, dialer_process, tmp_path
):
    if not db_url.startswith("sqlite"):
        return  # one database is enough for SIP
    await setup(api)
    dialer = dialer_process()
    wrong = call_from_elsewhere(tmp_path, dialer.sip_port, authenticated_call("guess"))
    assert await wait_exit(wrong) != 0  # challenged again: never answered
    right = call_from_elsewhere(tmp_path, dialer.sip_port, authenticated_call(PASSWORD))
    assert await wait_exit(right) == 0, sipp_logs(tmp_path)
    logs = sipp_logs(tmp_path)
    assert "407 Proxy Authentication Required" in logs and 'realm="ringcast"' in logs
    h = api.acme.headers()
    for _ in range(50):  # the attempt is listed once recorded
        listed = (await api.client.get("/api/call-report?direction=inbound", headers=h)).json()
        if listed["data"]:
            break
        await asyncio.sleep(0.1)
    (call,) = listed["data"]  # the wrong password's call never became one
    assert (call["from"], call["to"], call["outcome"]) == ("+33612345678", DID, "completed"), call
    report = (await api.client.get(f"/api/call-report/{call['jobId']}", headers=h)).json()
    assert report["attempts"][0]["flowExecution"]["finalVariables"]["choice"] == "1"
    # inbound calls are counted apart in /metrics (the dialer's figures, every few seconds)
    want = 'ringcast_calls_total{direction="inbound",outcome="completed"} 1.0'
    for _ in range(60):
        if want in (text := (await api.client.get("/metrics")).text):
            break
        await asyncio.sleep(0.5)
    assert want in text, [m for m in text.splitlines() if "ringcast_calls" in m]


def invite(extra: str = "") -> Any:
    return parse_message(
        (
            "INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.72:5060;branch=z9hG4bKx\r\n"
            "From: <sip:a@127.0.0.72>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: c1\r\n"
            f"CSeq: 2 INVITE\r\n{extra}Content-Length: 0\r\n\r\n"
        ).encode()
    )


def test_the_gate_knows_fresh_right_credentials_only() -> None:
    from ringcast.telephony.sip.auth import authorization, parse_challenge

    now = [1_000_000.0]
    gate = DigestGate(b"k" * 32, clock=lambda: now[0])
    _, value = gate.challenge()
    challenge = parse_challenge(value, proxy=True)
    trunks = [(USER, PASSWORD, "trunk-a"), ("other", "x", "trunk-b")]

    def signed(user: str, password: str) -> Any:
        auth = authorization(challenge, user, password, "INVITE", "sip:100@127.0.0.1")
        return invite(f"Proxy-Authorization: {auth}\r\n")

    assert gate.check(invite(), trunks) == ("missing", None)
    assert gate.check(signed(USER, PASSWORD), trunks) == ("ok", "trunk-a")
    assert gate.check(signed(USER, "guess"), trunks) == ("wrong", None)
    assert gate.check(signed("nobody", PASSWORD), trunks) == ("wrong", None)
    forged = DigestGate(b"z" * 32, clock=lambda: now[0])  # a nonce we did not make
    other = parse_challenge(forged.challenge()[1], proxy=True)
    auth = authorization(other, USER, PASSWORD, "INVITE", "sip:100@127.0.0.1")
    assert gate.check(invite(f"Proxy-Authorization: {auth}\r\n"), trunks) == ("wrong", None)
    now[0] += 301  # past the nonce's life: a new challenge, stale=true
    assert gate.check(signed(USER, PASSWORD), trunks) == ("stale", None)
    assert gate.challenge(stale=True)[1].endswith("stale=true")
