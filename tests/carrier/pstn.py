"""sipp as the PSTN side behind Kamailio: scenarios from tests/telephony/sipp, with
the Record-Route a proxy adds copied into every response (RFC 3261 §12.1.1), as
any real UA does (sipp's built-in `uas` does not, so in-dialog requests would
lose the proxy)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from carrier.carrier_kit import PSTN_HOST, free_port
from telephony.sipp.scenarios import (
    ASSETS,
    END,
    HDR,
    OK_SDP,
    RECV_ACK,
    RECV_INVITE,
    RINGING,
    WAIT_BYE,
    play,
)

_RR = "[last_Call-ID:]\n      [last_Record-Route:]"


def with_record_route(xml: str) -> str:
    return xml.replace("[last_Call-ID:]", _RR)


# the callee talks (sipp's RTP sender): an answered call with no media is `failed` / `no_media`
ANSWER = (
    RECV_INVITE + with_record_route(RINGING + OK_SDP) + RECV_ACK
    + play(str(ASSETS / "callee_human.ulaw")) + WAIT_BYE
)  # fmt: skip


def start_pstn(
    workdir: Path,
    port: int,
    body: str = ANSWER,
    calls: int = 1,
    name: str = "pstn",
    host: str = PSTN_HOST,
) -> subprocess.Popen[bytes]:
    """sipp on `host`:`port` running `body` (scenario XML without its header)."""
    path = workdir / f"{name}.xml"
    path.write_text(HDR.format(name=name) + body + END)
    return subprocess.Popen(
        ["sipp", "-sf", str(path), "-i", host, "-p", str(port), "-mi", host,
         "-m", str(calls), "-nostdin", "-timeout", "60s", "-mp", str(free_port(host)),
         "-trace_msg", "-message_file", str(workdir / f"{name}.log")],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def call_in(dtmf_pcap: Path | None = None, caller: str = "+33612345678") -> str:
    """A PSTN caller through the proxy to `-s <number>`: INVITE, ACK along the
    Record-Route, optionally RFC 4733 keys (a pcap sipp plays), then our BYE."""
    keys = (
        f'  <pause milliseconds="1500"/>\n'
        f'  <nop><action><exec play_pcap_audio="{dtmf_pcap}"/></action></nop>\n'
        if dtmf_pcap
        else ""
    )
    return f"""  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:{caller}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=pstn 1 1 IN IP4 [media_ip]
      s=-
      c=IN IP4 [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true" rtd="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
{keys}  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
"""


def call_refused(status: int) -> str:
    """A PSTN caller that expects `status` (then ACKs it)."""
    invite = call_in().split("  <recv response=")[0]
    return (
        invite
        + f"""  <recv response="100" optional="true"/>
  <recv response="{status}"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [last_From:]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
"""
    )
