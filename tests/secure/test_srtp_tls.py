"""TLS + SRTP end to end: a trunk with `"transport": "tls"` and `"srtp": "mandatory"`
(no `srtpOverInsecureSignaling` needed: the SDES keys travel over TLS) through Kamailio
as a TLS carrier to baresip with `srtp-mand` behind it. The call completes, its report
names the SRTP suite, and a capture of the loopback holds no clear audio payload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import carrier.test_kamailio_registration as registration
from dialer.dialer_kit import jobs, launch
from programs.campaign_kit import phone
from ringcast.telephony.media.recorder import beep_clip
from secure.srtp_kit import Capture, clear_audio_found, start_baresip, stop, udp_payloads
from secure.test_srtp_dialer import LISTEN_GRAPH
from secure.test_tls_kamailio import tls_dialer, tls_trunk
from secure.tls_kit import PSTN_SIDE, Pki
from telephony.sip.test_baresip import chirp


async def test_tls_trunk_with_mandatory_srtp_to_baresip_behind_kamailio(
    api: Any, db_url: str, tls_kamailio: Any, dialer_process: Any, pki: Pki, tmp_path: Path
) -> None:
    if not db_url.startswith("sqlite"):
        return  # one database is enough for SIP
    kam = tls_kamailio
    h = api.acme.headers()
    trunk_id = await registration.create_trunk(api, tls_trunk(kam, pki, srtp="mandatory"))
    flow = await api.client.post(
        "/api/flows", json={"name": "listen", "graph": LISTEN_GRAPH}, headers=h
    )
    assert flow.status_code == 201, flow.text
    mic = chirp(3.0, 300, 3000)
    peer = start_baresip(
        tmp_path / "baresip", mic, "srtp-mand", user=phone(0), host=PSTN_SIDE,
        sip_port=kam.pstn_port,
    )  # fmt: skip
    capture = Capture(tmp_path / "media.pcap", host="127.0.0.1")
    try:
        tls_dialer(dialer_process, pki)
        up = await registration.trunk_status(api, trunk_id, "up")
        assert up["status"] == "up" and up["srtp"] == "mandatory", up
        _, eid = await launch(api, contacts=1, dids=1, flowId=flow.json()["id"])
        (job,) = await jobs(api, eid)
        report = await registration.final_report(api, job.id)
    finally:
        pcap = capture.stop()
        stop(peer.proc)
    assert report["finalOutcome"] == "completed", report
    (attempt,) = report["attempts"]
    stats = next(e["data"] for e in attempt["events"] if e["type"] == "media_stats")
    assert stats["srtp"] in ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"), stats
    assert stats["srtpFailed"] == 0 and stats["packetsReceived"] > 100, stats
    assert "inline:" not in str(report)  # no key in the report
    payloads = udp_payloads(pcap)
    srtp_sized = [p for p in payloads if len(p) in (176, 182) and p[0] >> 6 == 2]
    assert len(srtp_sized) > 200, len(payloads)  # the capture saw the call's SRTP
    assert clear_audio_found(payloads, mic) == 0  # baresip's audio: never in clear
    assert clear_audio_found(payloads, beep_clip()) == 0  # our record beep: never in clear
    assert "SRTP is Enabled" in peer.log()
