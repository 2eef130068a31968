"""sipp scenario XML, adapted from the team's sipp reference kit.

UAS: answer + media + RFC 2833 and in-band DTMF, machine greeting, callee BYE,
486/603/480, ring-no-answer expecting CANCEL, 401, 401 qop, 407, in-dialog
INFO/re-INVITE/OPTIONS, REGISTER, a load far end. UAC: an INVITE expecting 403, and
one expecting our BYE. `write_scenario(dir, name)` writes one with absolute asset paths.
"""

from __future__ import annotations

from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"
NONCE = "47ebe028cda119c35d4877b383027d28da013815"

HDR = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="{name}">
"""
END = "</scenario>\n"
RECV_INVITE = '  <recv request="INVITE" crlf="true"/>\n'
RECV_INVITE_SAVE = """  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="inv_from"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="inv_to"/>
      <ereg regexp="sip:[^&gt;;]*" search_in="hdr" header="Contact:" assign_to="inv_contact"/>
    </action>
  </recv>
"""
SDP = """
      v=0
      o=sipp 1 1 IN IP4 [media_ip]
      s=-
      c=IN IP4 [media_ip]
      t=0 0
      m=audio [rtpstream_audio_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=ptime:20
      a=sendrecv"""


def resp(code: int, reason: str, extra: str = "", sdp: bool = False, retrans: bool = False,
         totag: bool = True) -> str:  # fmt: skip
    ct = (
        "Content-Type: application/sdp\n      Content-Length: [len]" if sdp else "Content-Length: 0"
    )
    body = SDP if sdp else ""
    tag = ";tag=[pid]SIPpTag01[call_number]" if totag else ""
    r = ' retrans="500"' if retrans else ""
    return f"""  <send{r}>
    <![CDATA[
      SIP/2.0 {code} {reason}
      [last_Via:]
      [last_From:]
      [last_To:]{tag}
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      {extra}{ct}
{body}
    ]]>
  </send>
"""


TRYING = resp(100, "Trying", totag=False)
RINGING = resp(180, "Ringing")
OK_SDP = resp(200, "OK", sdp=True, retrans=True)
RECV_ACK = '  <recv request="ACK" crlf="true"/>\n'
WAIT_BYE = (
    '  <recv request="BYE"/>\n'
    + resp(200, "OK", totag=False)
    + '  <timewait milliseconds="300"/>\n'
)
SEND_BYE = """  <send retrans="500">
    <![CDATA[
      BYE [$inv_contact] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$inv_to];tag=[pid]SIPpTag01[call_number]
      To: [$inv_from]
      Call-ID: [call_id]
      CSeq: 1 BYE
      Max-Forwards: 70
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>
  <timewait milliseconds="300"/>
"""


def play(path: str, loops: int = 1) -> str:
    return f'  <nop><action><exec rtp_stream="{path},{loops},0"/></action></nop>\n'


def pcap(path: str) -> str:
    return f'  <nop><action><exec play_pcap_audio="{path}"/></action></nop>\n'


def pause(ms: int) -> str:
    return f'  <pause milliseconds="{ms}"/>\n'


def _auth(code: int, reason: str, chal_hdr: str, qop: bool) -> str:
    q = ', qop="auth"' if qop else ""
    extra = f'{chal_hdr}: Digest realm="trunk.test", nonce="{NONCE}", algorithm=MD5{q}\n      '
    if code == 401:
        check = """  <recv request="INVITE">
    <action>
      <verifyauth assign_to="authvalid" username="alice" password="secret"/>
    </action>
  </recv>
  <nop hide="true" test="authvalid" next="goodauth"/>
"""
    else:  # sipp's verifyauth reads only Authorization: the test recomputes this digest
        check = """  <recv request="INVITE">
    <action>
      <ereg regexp="Digest .*username=.alice." search_in="hdr" header="Proxy-Authorization:"
            check_it="true" assign_to="authhdr"/>
      <log message="PROXY-AUTH [$authhdr]"/>
    </action>
  </recv>
  <nop hide="true" next="goodauth"/>
"""
    return (
        RECV_INVITE + TRYING + resp(code, reason, extra=extra) + RECV_ACK + check
        + resp(403, "Forbidden (bad digest)", retrans=True) + RECV_ACK
        + '  <nop hide="true" next="end"/>\n  <label id="goodauth"/>\n'
        + TRYING + OK_SDP + RECV_ACK + WAIT_BYE + '  <label id="end"/>\n'
    )  # fmt: skip


UAC_EXPECT_403 = """  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="403"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
"""


def in_dialog(method: str, cseq: int, body: str = "", ctype: str = "") -> str:
    """A request sipp (as UAS) sends inside the dialog, then waits for our 200."""
    length = "Content-Length: [len]" if body else "Content-Length: 0"
    body = "\n" + body if body else ""  # the blank line between headers and body
    ctype_line = f"Content-Type: {ctype}\n      " if ctype else ""
    return f"""  <send retrans="500">
    <![CDATA[
      {method} [$inv_contact] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$inv_to];tag=[pid]SIPpTag01[call_number]
      To: [$inv_from]
      Call-ID: [call_id]
      CSeq: {cseq} {method}
      Max-Forwards: 70
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      {ctype_line}{length}
{body}
    ]]>
  </send>
"""


REINVITE_CHECK = """  <recv response="200">
    <action>
      <ereg regexp="m=audio [0-9]+ RTP/AVP" search_in="body" check_it="true" assign_to="answer"/>
      <log message="REINVITE-ANSWER [$answer]"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      ACK [$inv_contact] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$inv_to];tag=[pid]SIPpTag01[call_number]
      To: [$inv_from]
      Call-ID: [call_id]
      CSeq: 2 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
"""


def _register_ok(expires: int) -> str:
    return resp(200, "OK", extra=f"Expires: {expires}\n      ")


UAS_REGISTER = (
    '  <recv request="REGISTER"/>\n'
    + resp(401, "Unauthorized",
           extra=f'WWW-Authenticate: Digest realm="trunk.test", nonce="{NONCE}", qop="auth"\n      ')
    + """  <recv request="REGISTER">
    <action>
      <verifyauth assign_to="authvalid" username="alice" password="secret"/>
    </action>
  </recv>
  <nop hide="true" test="authvalid" next="goodauth"/>
"""
    + resp(403, "Forbidden (bad digest)") + '  <nop hide="true" next="end"/>\n  <label id="goodauth"/>\n'
    + _register_ok(1)
    + '  <recv request="REGISTER"/>\n' + _register_ok(1)  # the refresh
    + '  <recv request="REGISTER"/>\n' + _register_ok(0)  # the un-REGISTER
    + '  <label id="end"/>\n'
)  # fmt: skip


UAC_EXPECT_BYE = """  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=sipp 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 0 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true">
    <action>
      <ereg regexp="RTP/AVP 8 101" search_in="body" check_it="true" assign_to="codec"/>
      <log message="ANSWER-CODEC [$codec]"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv request="BYE"/>
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
  <timewait milliseconds="300"/>
"""


# The answer names telephone-event 96 while the keys come with the PT we offered (101).
SDP_DTMF_96 = SDP.replace("0 101", "0 96").replace(":101 ", ":96 ")
OK_SDP_DTMF_96 = OK_SDP.replace(SDP, SDP_DTMF_96)


def scenarios() -> dict[str, str]:
    human, inband = str(ASSETS / "callee_human.ulaw"), str(ASSETS / "inband_7hash.ulaw")
    noanswer_487 = resp(487, "Request Terminated", retrans=True).replace(
        "[last_CSeq:]", "CSeq: [last_cseq_number] INVITE"
    )
    out = {
        "uas_media": RECV_INVITE + TRYING + RINGING + pause(300) + OK_SDP + RECV_ACK
        + play(human) + pause(3800)
        + pcap(str(ASSETS / "dtmf_2833_1.pcap")) + pause(600)
        + pcap(str(ASSETS / "dtmf_2833_pound.pcap")) + pause(600)
        + play(inband) + pause(2100) + WAIT_BYE,
        "uas_answer": RECV_INVITE + TRYING + RINGING + OK_SDP + RECV_ACK + WAIT_BYE,
        "uas_machine": RECV_INVITE + TRYING + RINGING + pause(300) + OK_SDP + RECV_ACK
        + play(str(ASSETS / "callee_machine.ulaw")) + WAIT_BYE,
        "uas_callee_bye": RECV_INVITE_SAVE + TRYING + RINGING + OK_SDP + RECV_ACK
        + play(human) + pause(1000) + SEND_BYE,
        "uas_noanswer": RECV_INVITE + TRYING + RINGING + '  <recv request="CANCEL"/>\n'
        + resp(200, "OK", totag=False) + noanswer_487 + RECV_ACK
        + '  <timewait milliseconds="300"/>\n',
        "uas_auth401": _auth(401, "Unauthorized", "WWW-Authenticate", qop=False),
        "uas_auth401qop": _auth(401, "Unauthorized", "WWW-Authenticate", qop=True),
        "uas_auth407": _auth(407, "Proxy Authentication Required", "Proxy-Authenticate", True),
        # answer at once, accept BYE: the load / set-up rate far end (-m N)
        "uac_expect_403": UAC_EXPECT_403,
        "uas_register": UAS_REGISTER,
        "uac_expect_bye": UAC_EXPECT_BYE,
        # the callee sends INFO (dtmf-relay 5), a re-INVITE and OPTIONS inside the dialog
        "uas_in_dialog": RECV_INVITE_SAVE + TRYING + OK_SDP + RECV_ACK + pause(200)
        + in_dialog("INFO", 1, "Signal=5\n      Duration=160", "application/dtmf-relay")
        + '  <recv response="200"/>\n'
        + in_dialog("INVITE", 2, SDP.strip("\n"), "application/sdp") + REINVITE_CHECK
        + in_dialog("OPTIONS", 3) + '  <recv response="200"/>\n' + WAIT_BYE,
        "uas_load": RECV_INVITE + TRYING + OK_SDP + RECV_ACK + WAIT_BYE,
        "uas_dtmf_offered_pt": RECV_INVITE + TRYING + OK_SDP_DTMF_96 + RECV_ACK + pause(300)
        + pcap(str(ASSETS / "dtmf_2833_1.pcap")) + pause(600) + WAIT_BYE,
    }  # fmt: skip
    for code, reason in [(486, "Busy Here"), (603, "Decline"), (480, "Temporarily Unavailable")]:
        out[f"uas_{code}"] = (
            RECV_INVITE + TRYING + RINGING + pause(200) + resp(code, reason, retrans=True)
            + RECV_ACK + '  <timewait milliseconds="300"/>\n'
        )  # fmt: skip
    return out


def write_scenario(directory: Path, name: str) -> Path:
    path = directory / f"{name}.xml"
    path.write_text(HDR.format(name=name) + scenarios()[name] + END)
    return path
