"""SRTP pieces without peers: a=crypto lines, the trunk modes' offer/answer policy,
two RTP streams talking SRTP over loopback, and the trunk API fields."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
from typing import Any

import numpy as np
import pytest

from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.srtp import SUITES, SrtpError, SrtpKey, SrtpPair
from ringcast.telephony.media.stream import RtpStream
from ringcast.telephony.sdp import SAVP, Crypto, build_sdp, negotiate, parse_crypto, parse_sdp
from ringcast.telephony.sip import SipConfigError, TrunkConfig
from ringcast.telephony.sip.sdes import (
    SRTP_REQUIRED,
    SrtpRefused,
    keys_for_answer,
    keys_for_offer,
    offer,
)

KEY = bytes(range(30))
INLINE = base64.b64encode(KEY).decode()


def test_crypto_lines_round_trip_and_unusable_ones_are_skipped() -> None:
    line = Crypto(1, SrtpKey(SUITES[0], KEY)).line()
    assert line == f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{INLINE}"
    parsed = parse_crypto(line.removeprefix("a=crypto:"))
    assert parsed == Crypto(1, SrtpKey(SUITES[0], KEY))
    assert parse_crypto(f"2 AES_CM_128_HMAC_SHA1_32 inline:{INLINE}|2^20") is not None
    for bad in (
        f"1 AES_256_CM_HMAC_SHA1_80 inline:{INLINE}",  # a suite we do not do
        f"1 AES_CM_128_HMAC_SHA1_80 inline:{INLINE}|2^20|1:4",  # MKI
        f"1 AES_CM_128_HMAC_SHA1_80 inline:{INLINE} UNENCRYPTED_SRTP",  # session parameter
        "1 AES_CM_128_HMAC_SHA1_80 inline:AAAA",  # short key
        "1 AES_CM_128_HMAC_SHA1_80 inline:!!notbase64!!",
        f"x AES_CM_128_HMAC_SHA1_80 inline:{INLINE}",
        "1 AES_CM_128_HMAC_SHA1_80",
    ):
        assert parse_crypto(bad) is None, bad


def test_keys_never_show_in_reprs() -> None:
    key = SrtpKey.generate(SUITES[0])
    crypto = Crypto(1, key)
    for text in (repr(key), repr(crypto), str(crypto)):
        assert base64.b64encode(key.key_salt).decode() not in text
        assert key.key_salt.hex() not in text


def _sdp(proto: str, crypto: tuple[Crypto, ...] = ()) -> bytes:
    return build_sdp("127.0.0.52", 4000, 1, 1, (0,), 101, proto=proto, crypto=crypto)


def test_offer_and_answer_per_mode() -> None:
    assert offer("off") == ("RTP/AVP", ())
    proto, lines = offer("mandatory")
    assert proto == SAVP and [c.key.suite for c in lines] == list(SUITES)
    assert [c.tag for c in lines] == [1, 2] and lines[0].key != lines[1].key
    sdp = _sdp(proto, lines)
    assert b"m=audio 4000 RTP/SAVP 0 101" in sdp and sdp.count(b"a=crypto:") == 2
    # their SRTP answer (tag 2): we send with our tag-2 key, read with theirs
    theirs = Crypto(2, SrtpKey(SUITES[1], KEY))
    answer = negotiate(parse_sdp(_sdp(SAVP, (theirs,))))
    keys = keys_for_answer("mandatory", lines, answer)
    assert keys is not None and keys[0] == lines[1]
    assert keys[1].tx_key == lines[1].key and keys[1].rx_key == theirs.key
    # a plain answer: mandatory refuses, optional goes clear
    plain = negotiate(parse_sdp(_sdp("RTP/AVP")))
    with pytest.raises(SrtpRefused) as refused:
        keys_for_answer("mandatory", lines, plain)
    assert refused.value.reason == SRTP_REQUIRED
    assert keys_for_answer("optional", lines, plain) is None
    # an answer naming a tag we never offered is no key at all
    stray = negotiate(parse_sdp(_sdp(SAVP, (Crypto(7, SrtpKey(SUITES[0], KEY)),))))
    with pytest.raises(SrtpRefused):
        keys_for_answer("optional", lines, stray)


def test_inbound_offers_per_mode() -> None:
    theirs = Crypto(3, SrtpKey(SUITES[1], KEY))
    savp = negotiate(parse_sdp(_sdp(SAVP, (theirs,))))
    for mode in ("optional", "mandatory"):
        keys = keys_for_offer(mode, savp)  # type: ignore[arg-type]
        assert keys is not None and keys[0].tag == 3 and keys[0].key.suite == SUITES[1]
        assert keys[1].rx_key == theirs.key and keys[0].key != theirs.key
    with pytest.raises(SrtpRefused):
        keys_for_offer("off", savp)  # they would not take our clear RTP
    plain = negotiate(parse_sdp(_sdp("RTP/AVP")))
    assert keys_for_offer("off", plain) is None
    assert keys_for_offer("optional", plain) is None
    with pytest.raises(SrtpRefused):
        keys_for_offer("mandatory", plain)
    # best-effort SDES (RTP/AVP with a=crypto, Asterisk's "optimistic"): SRTP when allowed
    best_effort = negotiate(parse_sdp(_sdp("RTP/AVP", (theirs,))))
    assert keys_for_offer("optional", best_effort) is not None
    assert keys_for_offer("off", best_effort) is None


def test_srtp_needs_tls_unless_explicitly_allowed() -> None:
    with pytest.raises(SipConfigError, match="tls"):
        TrunkConfig(host="127.0.0.52", srtp="mandatory")
    with pytest.raises(SipConfigError):
        TrunkConfig(host="127.0.0.52", srtp="sometimes")  # type: ignore[arg-type]
    TrunkConfig(host="127.0.0.52", srtp="optional", srtp_over_insecure_signaling=True)


def test_protect_unprotect_and_tampering() -> None:
    a, b = SrtpKey.generate(SUITES[0]), SrtpKey.generate(SUITES[1])
    ours, theirs = SrtpPair(a, b), SrtpPair(b, a)
    packet = bytes([0x80, 0, 0, 7, 0, 0, 0, 160, 1, 2, 3, 4]) + b"\x55" * 160
    wire = ours.protect(packet)
    assert len(wire) == len(packet) + 10 and b"\x55" * 16 not in wire
    assert theirs.unprotect(wire) == packet
    with pytest.raises(SrtpError):
        theirs.unprotect(wire)  # a replay
    tampered = bytearray(ours.protect(packet[:3] + b"\x08" + packet[4:]))
    tampered[20] ^= 1
    with pytest.raises(SrtpError):
        theirs.unprotect(bytes(tampered))
    back = theirs.protect(packet)
    assert len(back) == len(packet) + 4  # the 32-bit tag
    assert ours.unprotect(back) == packet
    rtcp = bytes([0x80, 200, 0, 1]) + bytes(4)
    assert theirs.unprotect_rtcp(ours.protect_rtcp(rtcp)) == rtcp


async def test_two_streams_talk_srtp_and_refuse_clear_rtp(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock = MediaClock()
    left = await RtpStream.open(clock, "127.0.0.51")
    right = await RtpStream.open(clock, "127.0.0.51")
    try:
        a, b = SrtpKey.generate(SUITES[0]), SrtpKey.generate(SUITES[0])
        left.set_srtp(SrtpPair(a, b))
        right.set_srtp(SrtpPair(b, a))
        left.rtcp_interval_s = right.rtcp_interval_s = 0.5
        heard: list[np.ndarray] = []
        right.add_listener(heard.append)
        left.set_remote("127.0.0.51", right.local_port, 0, None)
        right.set_remote("127.0.0.51", left.local_port, 0, None)
        tone = (np.sin(np.arange(8000) * 0.3) * 8000).astype(np.int16)
        done = left.play([tone])
        await asyncio.wait_for(done, 5)
        await asyncio.sleep(1.2)
        assert right.stats.packets_received >= 45 and right.stats.srtp_failed == 0
        assert len(heard) >= 45 and max(int(abs(f).max()) for f in heard) > 5000
        assert left.stats.rtcp_received >= 1 and right.stats.rtcp_received >= 1  # SRTCP
        assert left.stats.srtcp_failed == right.stats.srtcp_failed == 0
        # a clear RTP packet to a secure stream is dropped and counted, never heard
        before = right.stats.packets_received
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.51", 0))
            for seq in range(10):
                s.sendto(bytes([0x80, 0, 0, seq]) + bytes(8) + b"\x00" * 160,
                         ("127.0.0.51", right.local_port))  # fmt: skip
        await asyncio.sleep(0.2)
        assert right.stats.srtp_failed >= 10 and right.stats.latched == 0
        assert right.stats.packets_received - before <= 12  # only the peer's own packets
    finally:
        left.close()
        right.close()
        clock.close()
    for key in (a, b):
        assert base64.b64encode(key.key_salt).decode() not in caplog.text


async def test_trunk_api_srtp_fields(api: Any) -> None:
    h = api.acme.headers()
    base = {"name": "secure", "host": "127.0.0.52", "port": 5061}
    refused = await api.client.post("/api/trunks", json={**base, "srtp": "mandatory"}, headers=h)
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "VALIDATION_FAILED"
    assert "srtpOverInsecureSignaling" in refused.text and "tls" in refused.text
    bad = await api.client.post("/api/trunks", json={**base, "srtp": "maybe"}, headers=h)
    assert bad.status_code == 400
    made = await api.client.post(
        "/api/trunks", json={**base, "srtp": "mandatory", "srtpOverInsecureSignaling": True},
        headers=h,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    trunk = made.json()
    assert trunk["srtp"] == "mandatory" and trunk["srtpOverInsecureSignaling"] is True
    # the mode and the flag, nothing else of SRTP: keys are per call, never on the trunk
    assert {k for k in trunk if "srtp" in k.lower() or "crypto" in k.lower()} == {
        "srtp",
        "srtpOverInsecureSignaling",
    }
    plain = await api.client.post("/api/trunks", json={**base, "name": "p"}, headers=h)
    assert plain.json()["srtp"] == "off" and plain.json()["srtpOverInsecureSignaling"] is False
    # turning the allow flag off on an SRTP trunk over UDP is refused too
    tid = trunk["id"]
    patched = await api.client.put(
        f"/api/trunks/{tid}", json={"srtpOverInsecureSignaling": False}, headers=h
    )
    assert patched.status_code == 400, patched.text
    ok = await api.client.put(f"/api/trunks/{tid}", json={"srtp": "optional"}, headers=h)
    assert ok.status_code == 200 and ok.json()["srtp"] == "optional"
    got = await api.client.get(f"/api/trunks/{tid}", headers=h)
    assert got.json()["srtp"] == "optional"
