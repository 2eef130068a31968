"""Overload control against sipp: an INVITE flood past the call cap is answered 503
with Retry-After (counted from sipp's own message log), and the calls already up keep
their RTP, measured by a receiver in its own process (not on our event loop).

Loopback addresses of their own (127.0.0.91 us, .92 sipp, .93 the RTP receiver), so
the test shares no port range with the others."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ringcast.telephony.channel import RemoteHangup
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.overload import OverloadConfig, OverloadGuard
from ringcast.telephony.sip import SipCall, TrunkConfig, UserAgent
from ringcast.telephony.sip.channel import SipChannel, rtp_media
from telephony.sipp.conftest import require_sipp

pytestmark = pytest.mark.sipp
OURS, SIPP, RECEIVER = "127.0.0.91", "127.0.0.92", "127.0.0.93"
CAP, FLOOD, HOLD_MS = 8, 60, 6000
TONE = (np.sin(2 * np.pi * 440 * np.arange(8000 * 30) / 8000) * 6000).astype(np.int16)


def _in_dialog(method: str, cseq: int, retrans: bool = False) -> str:
    """An ACK or BYE of the flood's INVITE dialog (sipp keywords)."""
    r = ' retrans="500"' if retrans else ""
    return f"""  <send{r}><![CDATA[
      {method} sip:2001@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:2001@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} {method}
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
"""


FLOOD_UAC = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="flood">
  <send retrans="500"><![CDATA[
      INVITE sip:2001@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:2001@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=sipp 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 {rx_host}
      t=0 0
      m=audio {rx_port} RTP/AVP 0
      a=rtpmap:0 PCMU/8000
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="503" optional="true" next="refused"/>
  <recv response="200"/>
"""
    + _in_dialog("ACK", 1)
    + '  <pause milliseconds="{hold_ms}"/>\n'
    + _in_dialog("BYE", 2, retrans=True)
    + '  <recv response="200" next="end"/>\n  <label id="refused"/>\n'
    + _in_dialog("ACK", 1)
    + '  <label id="end"/>\n</scenario>\n'
)

# The receiver: its own process; per SSRC, packets and the largest arrival gap.
RECEIVER_CODE = """
import json, socket, sys, time
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
sock.bind((sys.argv[1], 0))
print(sock.getsockname()[1], flush=True)
sock.settimeout(0.2)
end = time.monotonic() + float(sys.argv[2])
seen = {}
while time.monotonic() < end:
    try:
        data = sock.recv(2048)
    except TimeoutError:
        continue
    now = time.monotonic()
    ssrc = int.from_bytes(data[8:12], "big")
    s = seen.setdefault(ssrc, [0, now, now, 0.0])
    s[0] += 1
    s[3] = max(s[3], now - s[2])
    s[2] = now
print(json.dumps({str(k): {"packets": v[0], "span_s": v[2] - v[1], "max_gap_ms": v[3] * 1000}
                  for k, v in seen.items()}), flush=True)
"""


def sipp_refusals(messages: str) -> tuple[set[str], set[str], list[str]]:
    """From sipp's message log: Call-IDs answered 200 to the INVITE, Call-IDs refused
    503, and each 503's Retry-After."""
    answered: set[str] = set()
    refused: set[str] = set()
    retry_after: list[str] = []
    for block in re.split(r"\n(?=-{5,}|\S.*message (?:received|sent))", messages):
        call_id = re.search(r"^Call-ID:\s*(\S+)", block, re.M | re.I)
        cseq = re.search(r"^CSeq:\s*\d+\s+(\w+)", block, re.M | re.I)
        if call_id is None or cseq is None or cseq.group(1) != "INVITE":
            continue
        if re.search(r"^SIP/2.0 200 ", block, re.M):
            answered.add(call_id.group(1))
        elif re.search(r"^SIP/2.0 503 ", block, re.M):
            refused.add(call_id.group(1))
            found = re.search(r"^Retry-After:\s*(\S+)", block, re.M | re.I)
            retry_after.append(found.group(1) if found else "")
    return answered, refused, retry_after


async def test_invite_flood_past_the_cap_gets_503_and_live_calls_keep_their_rtp(
    tmp_path: Path,
) -> None:
    exe = require_sipp()
    receiver = subprocess.Popen(
        [sys.executable, "-c", RECEIVER_CODE, RECEIVER, str(HOLD_MS / 1000 + 6)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert receiver.stdout is not None
    rx_port = int(await asyncio.to_thread(receiver.stdout.readline))
    clock = MediaClock()
    guard = OverloadGuard(OverloadConfig(max_calls=CAP, max_late_ms=None, retry_after_s=7), clock)
    sipp_port = _free_udp_port(SIPP)
    ua = await UserAgent.start(TrunkConfig(host=SIPP, port=sipp_port, local_host=OURS))
    ua.overload = guard
    assert ua.transport is not None
    tasks: set[asyncio.Task[None]] = set()
    ended: list[Any] = []

    async def answer_and_play(call: SipCall) -> None:  # what an inbound flow does
        guard.enter()
        try:
            channel = SipChannel.inbound(ua, call, rtp_media(clock, OURS))
            await channel.answer()
            await channel.next_event()
            await channel.play([TONE])
            while not isinstance(event := await channel.next_event(), RemoteHangup):
                pass
            ended.append(event)
        finally:
            guard.leave()

    def on_invite(call: SipCall) -> None:
        task = asyncio.get_running_loop().create_task(answer_and_play(call))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    ua.on_invite = on_invite
    scenario = tmp_path / "flood.xml"
    scenario.write_text(FLOOD_UAC.format(rx_host=RECEIVER, rx_port=rx_port, hold_ms=HOLD_MS))
    messages = tmp_path / "messages.log"
    args = [exe, "-sf", str(scenario), "-i", SIPP, "-p", str(sipp_port), "-m", str(FLOOD),
            "-r", "40", "-l", str(FLOOD), "-timeout", "40s", "-nostdin",
            "-default_behaviors", "all,-abortunexp", "-trace_msg", "-message_file",
            str(messages), f"{OURS}:{ua.transport.local_port}"]  # fmt: skip
    try:
        peer = await asyncio.create_subprocess_exec(
            *args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path
        )
        rc = await asyncio.wait_for(peer.wait(), 45)
        out, _ = await asyncio.to_thread(receiver.communicate, timeout=30)
    finally:
        ua.close()
        clock.close()
        if receiver.poll() is None:
            receiver.kill()
    answered, refused, retry_after = sipp_refusals(messages.read_text(errors="replace"))
    assert rc == 0
    assert len(answered) == CAP  # the first CAP calls, held for the whole flood
    assert len(refused) == FLOOD - CAP
    assert set(retry_after) == {"7"}
    assert guard.refused >= FLOOD - CAP
    assert len(ended) == CAP
    # at the receiver: every call up kept ~50 packets/s with no hole while the flood ran
    streams = json.loads(out.strip().splitlines()[-1])
    assert len(streams) == CAP
    for ssrc, s in streams.items():
        rate = s["packets"] / s["span_s"]
        assert s["span_s"] > HOLD_MS / 1000 - 1.5, (ssrc, s)
        assert rate > 45, (ssrc, s)
        assert s["max_gap_ms"] < 250, (ssrc, s)


def _free_udp_port(host: str) -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
