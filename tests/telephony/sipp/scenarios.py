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


def in_dialog(method: str, cseq: int, body: str = "", ctype: str = "", extra: str = "") -> str:
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
      {extra}{ctype_line}{length}
{body}
    ]]>
  </send>
"""


def ack_in_dialog(cseq: int) -> str:
    """sipp (as UAS) ACKs the 200 to its own re-INVITE number `cseq`."""
    return f"""  <send>
    <![CDATA[
      ACK [$inv_contact] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$inv_to];tag=[pid]SIPpTag01[call_number]
      To: [$inv_from]
      Call-ID: [call_id]
      CSeq: {cseq} ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
"""


REINVITE_CHECK = """  <recv response="200">
    <action>
      <ereg regexp="m=audio [0-9]+ RTP/AVP" search_in="body" check_it="true" assign_to="answer"/>
      <log message="REINVITE-ANSWER [$answer]"/>
    </action>
  </recv>
""" + ack_in_dialog(2)


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


RECV_INVITE_KEEP = """  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="Via:" assign_to="inv_via"/>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="inv_from"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="inv_to"/>
      <ereg regexp=".*" search_in="hdr" header="CSeq:" assign_to="inv_cseq"/>
      <ereg regexp="100rel" search_in="hdr" header="Supported:" check_it="true"
            assign_to="supported"/>
      <log message="SUPPORTED [$supported]"/>
    </action>
  </recv>
"""


def invite_ok(sdp: bool) -> str:
    """200 to the saved INVITE (after a PRACK, [last_*] would be the PRACK's)."""
    ct = (
        "Content-Type: application/sdp\n      Content-Length: [len]" if sdp else "Content-Length: 0"
    )
    return f"""  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      Via: [$inv_via]
      From: [$inv_from]
      To: [$inv_to];tag=[pid]SIPpTag01[call_number]
      Call-ID: [call_id]
      CSeq: [$inv_cseq]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      {ct}
{SDP if sdp else ""}
    ]]>
  </send>
"""


RECV_PRACK = """  <recv request="PRACK">
    <action>
      <ereg regexp="1 1 INVITE" search_in="hdr" header="RAck:" check_it="true" assign_to="rack"/>
      <log message="RACK [$rack]"/>
    </action>
  </recv>
""" + resp(200, "OK", totag=False)


def reinvite(cseq: int, direction: str, expect: str) -> str:
    """sipp re-INVITEs with `a=<direction>`, checks our answer says `expect`, ACKs."""
    body = SDP.strip("\n").replace("a=sendrecv", f"a={direction}")
    return (
        in_dialog("INVITE", cseq, body, "application/sdp")
        + f"""  <recv response="200">
    <action>
      <ereg regexp="a={expect}" search_in="body" check_it="true" assign_to="dir{cseq}"/>
      <ereg regexp="m=audio [0-9]+ RTP/AVP 0 101" search_in="body" check_it="true"
            assign_to="codec{cseq}"/>
      <log message="ANSWER {cseq} [$dir{cseq}] [$codec{cseq}]"/>
    </action>
  </recv>
"""
        + ack_in_dialog(cseq)
    )


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
        # no provisional, and the answer comes after the caller's INVITE timed out
        "uas_late_ok": RECV_INVITE + pause(4000) + OK_SDP + RECV_ACK + WAIT_BYE,
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
        # RFC 4028: the 200 makes us the refresher (4 s): an UPDATE comes within 2 s
        "uas_timer_we_refresh": """  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="timer" search_in="hdr" header="Supported:" check_it="true" assign_to="sup"/>
      <log message="SUPPORTED [$sup]"/>
    </action>
  </recv>
""" + TRYING
        + resp(200, "OK", sdp=True, retrans=True,
               extra="Session-Expires: 4;refresher=uac\n      Require: timer\n      ")
        + RECV_ACK + """  <recv request="UPDATE">
    <action>
      <ereg regexp="4;refresher=uac" search_in="hdr" header="Session-Expires:" check_it="true"
            assign_to="se"/>
      <log message="REFRESH [$se]"/>
    </action>
  </recv>
""" + resp(200, "OK", totag=False) + WAIT_BYE,
        # the far end refreshes with UPDATE: we answer 200 with the interval
        "uas_update_refresh": RECV_INVITE_SAVE + TRYING + OK_SDP + RECV_ACK + pause(300)
        + in_dialog("UPDATE", 2, extra="Session-Expires: 90;refresher=uas\n      Supported: timer\n      ")
        + """  <recv response="200">
    <action>
      <ereg regexp="90;refresher=" search_in="hdr" header="Session-Expires:" check_it="true"
            assign_to="se"/>
      <log message="UPDATE-ANSWER [$se]"/>
    </action>
  </recv>
""" + WAIT_BYE,
        # 422 Session Interval Too Small: the INVITE again with Min-SE's 120
        "uas_422": RECV_INVITE + resp(422, "Session Interval Too Small", retrans=True,
                                      extra="Min-SE: 120\n      ")
        + RECV_ACK + """  <recv request="INVITE">
    <action>
      <ereg regexp="120" search_in="hdr" header="Session-Expires:" check_it="true" assign_to="se"/>
      <log message="RETRIED [$se]"/>
    </action>
  </recv>
""" + TRYING + OK_SDP + RECV_ACK + WAIT_BYE,
        # hold (sendonly) → we answer recvonly and go quiet; inactive → inactive; resume
        "uas_hold_resume": RECV_INVITE_SAVE + TRYING + OK_SDP + RECV_ACK + pause(500)
        + reinvite(2, "sendonly", "recvonly") + pause(1000)
        + reinvite(3, "inactive", "inactive") + pause(500)
        + reinvite(4, "sendrecv", "sendrecv") + pause(1000) + WAIT_BYE,
        # early media: the 183 carries the SDP, the 200 none (the 183's SDP is the answer)
        "uas_183_sdp_200_none": RECV_INVITE_KEEP + TRYING + resp(183, "Session Progress", sdp=True)
        + pause(300) + invite_ok(sdp=False) + RECV_ACK + WAIT_BYE,
        # a reliable 183 (100rel) must be PRACKed before the call is answered
        "uas_100rel": RECV_INVITE_KEEP + TRYING
        + resp(183, "Session Progress", sdp=True, retrans=True,
               extra="Require: 100rel\n      RSeq: 1\n      ")
        + RECV_PRACK + pause(200) + invite_ok(sdp=False) + RECV_ACK + WAIT_BYE,
        "uas_dtmf_offered_pt": RECV_INVITE + TRYING + OK_SDP_DTMF_96 + RECV_ACK + pause(300)
        + pcap(str(ASSETS / "dtmf_2833_1.pcap")) + pause(600) + WAIT_BYE,
    }  # fmt: skip
    # the first call (call_number 1) gets 503 Retry-After: 2, the next one is answered
    out["uas_503_then_answer"] = (
        RECV_INVITE + TRYING + """  <nop hide="true">
    <action>
      <assignstr assign_to="n" value="[call_number]"/>
      <strcmp assign_to="cmp" variable="n" value="1"/>
      <test assign_to="first" variable="cmp" compare="equal" value="0"/>
    </action>
  </nop>
  <nop hide="true" test="first" next="busy"/>
""" + OK_SDP + RECV_ACK + '  <recv request="BYE"/>\n' + resp(200, "OK", totag=False)
        + '  <nop hide="true" next="end"/>\n  <label id="busy"/>\n'
        + resp(503, "Service Unavailable", extra="Retry-After: 2\n      ", retrans=True)
        + RECV_ACK + '  <label id="end"/>\n  <timewait milliseconds="300"/>\n'
    )  # fmt: skip
    # a 302 to another number; the INVITE that follows must name it
    out["uas_302"] = (
        RECV_INVITE + TRYING + resp(
            302, "Moved Temporarily", retrans=True
        ).replace("Contact: <sip:[local_ip]", "Contact: <sip:2000@[local_ip]") + RECV_ACK
        + """  <recv request="INVITE">
    <action>
      <ereg regexp="^INVITE sip:2000@" search_in="msg" check_it="true" assign_to="ruri"/>
      <log message="REDIRECTED [$ruri]"/>
    </action>
  </recv>
""" + TRYING + OK_SDP + RECV_ACK + WAIT_BYE
    )  # fmt: skip
    for code, reason in [(486, "Busy Here"), (603, "Decline"), (480, "Temporarily Unavailable"),
                         (404, "Not Found"), (484, "Address Incomplete")]:  # fmt: skip
        out[f"uas_{code}"] = (
            RECV_INVITE + TRYING + RINGING + pause(200) + resp(code, reason, retrans=True)
            + RECV_ACK + '  <timewait milliseconds="300"/>\n'
        )  # fmt: skip
    return out


def write_scenario(directory: Path, name: str) -> Path:
    path = directory / f"{name}.xml"
    path.write_text(HDR.format(name=name) + scenarios()[name] + END)
    return path
