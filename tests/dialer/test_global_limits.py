"""A trunk's CPS and channel limits hold for a fleet: three `ringcast dialer` processes
on one PostgreSQL dial a 600-contact program through a trunk of 20 CPS and 30 channels;
counted at the sipp carrier: never more than 20 INVITEs (+1) in any one-second window,
never more than 30 calls at once. Then the same with two such trunks in one group, each
counted at its own sipp.

Two counts at the carrier: the kernel's arrival time of each INVITE and BYE at sipp's
address (tcpdump on loopback: what the carrier's side of the wire sees), asserted; and
the times in sipp's own message log, printed and asserted for the total and channels.
sipp stamps a message when it reads it, so on a host far above its cores' load (CI
boxes shared by many jobs) a stalled sipp stamps a queue of INVITEs as one burst that
never was on the wire."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dialer.dialer_kit import LISTEN_A_SECOND, attempts, execution, launch
from secure.failover_kit import Carrier, add_trunk, carrier, set_group
from support import require_tool

pytestmark = pytest.mark.slow

CPS, CHANNELS = 20, 30
CONTACTS = int(os.environ.get("RINGCAST_TEST_LIMITS_CONTACTS", "600"))
# the carriers' addresses (three), then the dialers' (three): loopback addresses no other
# test uses at the same time (RINGCAST_TEST_LIMITS_HOSTS, comma-separated, to move them)
HOSTS = os.environ.get(
    "RINGCAST_TEST_LIMITS_HOSTS",
    "127.0.0.67,127.0.0.68,127.0.0.69,127.0.0.70,127.0.0.71,127.0.0.72",
).split(",")
CARRIER_HOSTS, DIALER_HOSTS = HOSTS[:3], HOSTS[3:6]

# answers after 1.5 s of ringing: 20 CPS would want ~32 calls at once, the channels bind
SLOW_ANSWER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="slow answer">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
  <pause milliseconds="1500"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000

]]></send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
"""

_BLOCK = re.compile(
    r"^-{20,} (\S+ \S+)\n\w+ message received[^\n]*\n\n(\w+) sip:.*?^Call-ID:\s*(\S+)",
    re.MULTILINE | re.DOTALL,
)


Times = tuple[dict[str, float], dict[str, float]]


def _logged(c: Carrier) -> Times:
    """First INVITE and first BYE time of each Call-ID in sipp's message log."""
    invites: dict[str, float] = {}
    byes: dict[str, float] = {}
    for stamp, method, call_id in _BLOCK.findall(c.messages):
        at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()
        if method == "INVITE":
            invites.setdefault(call_id, at)
        elif method == "BYE":
            byes.setdefault(call_id, at)
    return invites, byes


_PACKET = re.compile(r"^(\d{9,}\.\d+) IP ")
_REQUEST = re.compile(r"(INVITE|BYE) sip:")


class Capture:
    """tcpdump of the SIP arriving at the carriers' addresses, kernel timestamps (their
    SIP ports only: the echoed RTP, 50 packets a second a call, printed as text, made a
    loaded tcpdump drop packets, and a BYE it dropped left its call counted up forever)."""

    def __init__(self, workdir: Path, carriers: list[Carrier]) -> None:
        self.path = workdir / "capture.txt"
        self.errors = workdir / "capture.err"
        fltr = "udp and (" + " or ".join(
            f"(dst host {c.host} and dst port {c.port})" for c in carriers
        ) + ")"  # fmt: skip
        self.proc = subprocess.Popen(
            ["tcpdump", "-i", "lo", "-n", "-tt", "-l", "-A", "-s", "0", fltr],
            stdout=self.path.open("wb"),
            stderr=self.errors.open("wb"),
        )
        time.sleep(1.0)  # listening before the first INVITE

    def stop(self) -> None:
        time.sleep(0.5)
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def dropped(self) -> str:
        """tcpdump's own account of what it missed (printed when it stops)."""
        text = self.errors.read_text(errors="replace")
        return " / ".join(line for line in text.splitlines() if "dropped" in line)

    def times(self, c: Carrier) -> Times:
        invites: dict[str, float] = {}
        byes: dict[str, float] = {}
        at, to_us, method = 0.0, False, ""
        for line in self.path.read_text(errors="replace").splitlines():
            packet = _PACKET.match(line)
            if packet is not None:
                at, to_us, method = float(packet.group(1)), f"> {c.host}.{c.port}:" in line, ""
                continue
            request = _REQUEST.search(line)
            if request is not None and to_us:
                method = request.group(1)
            elif line.startswith("Call-ID:") and method:
                call_id = line.split(":", 1)[1].strip()
                (invites if method == "INVITE" else byes).setdefault(call_id, at)
                method = ""
        return invites, byes


def _peaks(times: Times) -> tuple[int, int, int]:
    """(calls, most INVITEs in any 1 s window, most calls at once)."""
    invites, byes = times
    times = sorted(invites.values())
    most = 0
    j = 0
    for i, t in enumerate(times):  # windows starting at each INVITE: [t, t + 1)
        while j < len(times) and times[j] < t + 1.0:
            j += 1
        most = max(most, j - i)
    events = sorted(
        [(t, 1) for t in invites.values()]
        + [(byes[k], -1) for k in invites if k in byes]
    )  # fmt: skip
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return len(invites), most, peak


async def _run_fleet(
    api: Any, eid: str, db_url: str, tmp_path: Path, capture: Capture
) -> list[str]:
    procs = []
    for i in range(3):
        env = {
            **os.environ,
            "RINGCAST_DATABASE_URL": db_url,
            "RINGCAST_DATA_DIR": str(tmp_path / f"dialer{i}"),
            "RINGCAST_SIP_LOCAL_HOST": DIALER_HOSTS[i],
            "RINGCAST_SIP_PORT": "0",
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "ringcast.cli.main", "dialer"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        deadline = time.monotonic() + 240  # a loaded host paces slower, never faster
        while time.monotonic() < deadline:
            if (await execution(api, eid))["status"] == "completed":
                break
            await asyncio.sleep(0.5)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        outputs = [proc.communicate(timeout=60)[0].decode() for proc in procs]
        capture.stop()
    return outputs


async def _check(
    api: Any, eid: str, outputs: list[str], carriers: list[Carrier], capture: Capture
) -> None:
    for out in outputs:
        print(out[-400:])
    assert (await execution(api, eid))["status"] == "completed", outputs[0][-3000:]
    rows = await attempts(api, eid)
    assert len(rows) == CONTACTS
    assert Counter(a.outcome for a in rows) == {"completed": CONTACTS}, Counter(
        a.outcome_reason for a in rows
    )
    total = 0
    for c in carriers:
        wire = capture.times(c)
        # every call ended with our BYE: one missing is a packet the capture lost, and
        # would count its call as up to the end (a measuring error, not a busy trunk)
        lost = [k for k in wire[0] if k not in wire[1]]
        assert not lost, (c.host, f"{len(lost)} BYEs not captured", capture.dropped())
        calls, most_per_s, most_at_once = _peaks(wire)
        logged, logged_per_s, logged_at_once = _peaks(_logged(c))
        print(f"{c.host} on the wire: {calls} calls, {most_per_s} INVITEs/s at most, "
              f"{most_at_once} at once; sipp's log: {logged} calls, {logged_per_s} INVITEs/s "
              f"at most, {logged_at_once} at once; tcpdump: {capture.dropped()}")  # fmt: skip
        assert most_per_s <= CPS + 1, (c.host, most_per_s)
        assert most_at_once <= CHANNELS, (c.host, most_at_once)
        assert logged == calls
        assert logged_at_once <= CHANNELS, (c.host, logged_at_once)
        total += calls
    assert total == CONTACTS


@pytest.fixture
def pg_only(db_url: str) -> None:
    require_tool("sipp")
    require_tool("tcpdump")
    if not db_url.startswith("postgresql"):
        pytest.skip("several dialer processes need PostgreSQL")


async def test_three_dialers_share_one_trunks_cps_and_channels(api, db_url, tmp_path, pg_only):
    uas = carrier(tmp_path / "uas", CARRIER_HOSTS[0], SLOW_ANSWER, "-rtp_echo", timing=True)
    try:
        await add_trunk(
            api, "carrier", uas, maxChannels=CHANNELS, callsPerSecond=CPS, optionsIntervalSec=0
        )
        _, eid = await launch(
            api,
            contacts=CONTACTS,
            dids=1,
            graph=LISTEN_A_SECOND,  # calls that carry media (sipp echoes it): not no_media
            callsPerSecond=200,
            maxConcurrentCalls=500,
        )
        capture = Capture(tmp_path, [uas])
        outputs = await _run_fleet(api, eid, db_url, tmp_path, capture)
        await _check(api, eid, outputs, [uas], capture)
    finally:
        uas.stop()


async def test_three_dialers_share_two_trunks_of_a_group(api, db_url, tmp_path, pg_only):
    one = carrier(tmp_path / "one", CARRIER_HOSTS[1], SLOW_ANSWER, "-rtp_echo", timing=True)
    two = carrier(tmp_path / "two", CARRIER_HOSTS[2], SLOW_ANSWER, "-rtp_echo", timing=True)
    try:
        limits = {"maxChannels": CHANNELS, "callsPerSecond": CPS, "optionsIntervalSec": 0}
        t1 = await add_trunk(api, "one", one, **limits)
        t2 = await add_trunk(api, "two", two, **limits)
        c, eid = await launch(
            api,
            contacts=CONTACTS,
            dids=1,
            graph=LISTEN_A_SECOND,  # calls that carry media (sipp echoes it): not no_media
            callsPerSecond=200,
            maxConcurrentCalls=500,
        )
        await set_group(api, c.dids, [{"trunkId": t1}, {"trunkId": t2}])
        capture = Capture(tmp_path, [one, two])
        outputs = await _run_fleet(api, eid, db_url, tmp_path, capture)
        await _check(api, eid, outputs, [one, two], capture)
    finally:
        one.stop()
        two.stop()
