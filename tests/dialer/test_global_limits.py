"""A trunk's CPS and channel limits hold for a fleet: three `ringcast dialer` processes
on one PostgreSQL dial a 600-contact program through a trunk of 20 CPS and 30 channels;
counted at the sipp carrier, from the INVITEs and BYEs in its message log: never more
than 20 INVITEs (+1) in any one-second window, never more than 30 calls at once. Then
the same with two such trunks in one group, each counted at its own sipp."""

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

from dialer.dialer_kit import attempts, execution, launch
from secure.failover_kit import Carrier, add_trunk, carrier, set_group
from support import require_tool

pytestmark = pytest.mark.slow

CPS, CHANNELS = 20, 30
CONTACTS = int(os.environ.get("RINGCAST_TEST_LIMITS_CONTACTS", "600"))

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


def _received(c: Carrier) -> tuple[dict[str, float], dict[str, float]]:
    """First INVITE and first BYE time of each Call-ID sipp received (seconds)."""
    invites: dict[str, float] = {}
    byes: dict[str, float] = {}
    for stamp, method, call_id in _BLOCK.findall(c.messages):
        at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()
        if method == "INVITE":
            invites.setdefault(call_id, at)
        elif method == "BYE":
            byes.setdefault(call_id, at)
    return invites, byes


def _peaks(c: Carrier) -> tuple[int, int, int]:
    """(calls, most INVITEs in any 1 s window, most calls at once), at sipp."""
    invites, byes = _received(c)
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


async def _run_fleet(api: Any, eid: str, db_url: str, tmp_path: Path) -> list[str]:
    procs = []
    for i in range(3):
        env = {
            **os.environ,
            "RINGCAST_DATABASE_URL": db_url,
            "RINGCAST_DATA_DIR": str(tmp_path / f"dialer{i}"),
            "RINGCAST_SIP_LOCAL_HOST": f"127.0.0.{70 + i}",
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
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if (await execution(api, eid))["status"] == "completed":
                break
            await asyncio.sleep(0.5)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        outputs = [proc.communicate(timeout=60)[0].decode() for proc in procs]
    return outputs


async def _check(api: Any, eid: str, outputs: list[str], carriers: list[Carrier]) -> None:
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
        calls, most_per_s, most_at_once = _peaks(c)
        print(f"{c.host}: {calls} calls, {most_per_s} INVITEs/s at most, {most_at_once} at once")
        assert most_per_s <= CPS + 1, (c.host, most_per_s)
        assert most_at_once <= CHANNELS, (c.host, most_at_once)
        total += calls
    assert total == CONTACTS


@pytest.fixture
def pg_only(db_url: str) -> None:
    require_tool("sipp")
    if not db_url.startswith("postgresql"):
        pytest.skip("several dialer processes need PostgreSQL")


async def test_three_dialers_share_one_trunks_cps_and_channels(api, db_url, tmp_path, pg_only):
    uas = carrier(tmp_path / "uas", "127.0.0.67", SLOW_ANSWER)
    try:
        await add_trunk(
            api, "carrier", uas, maxChannels=CHANNELS, callsPerSecond=CPS, optionsIntervalSec=0
        )
        _, eid = await launch(
            api, contacts=CONTACTS, dids=1, callsPerSecond=200, maxConcurrentCalls=500
        )
        outputs = await _run_fleet(api, eid, db_url, tmp_path)
        await _check(api, eid, outputs, [uas])
    finally:
        uas.stop()


async def test_three_dialers_share_two_trunks_of_a_group(api, db_url, tmp_path, pg_only):
    one = carrier(tmp_path / "one", "127.0.0.68", SLOW_ANSWER)
    two = carrier(tmp_path / "two", "127.0.0.69", SLOW_ANSWER)
    try:
        limits = {"maxChannels": CHANNELS, "callsPerSecond": CPS, "optionsIntervalSec": 0}
        t1 = await add_trunk(api, "one", one, **limits)
        t2 = await add_trunk(api, "two", two, **limits)
        c, eid = await launch(
            api, contacts=CONTACTS, dids=1, callsPerSecond=200, maxConcurrentCalls=500
        )
        await set_group(api, c.dids, [{"trunkId": t1}, {"trunkId": t2}])
        outputs = await _run_fleet(api, eid, db_url, tmp_path)
        await _check(api, eid, outputs, [one, two])
    finally:
        one.stop()
        two.stop()
