"""`SipChannel` with a trunk's SRTP mode, driven by hand (fake SIP transport and media):
keys on the stream before it learns where to send, `srtp_required`, re-INVITEs in an
SRTP call, and inbound offers per mode."""

from __future__ import annotations

import asyncio

from ringcast.telephony.channel import Answered, DialFailed, DialRequest
from ringcast.telephony.media.srtp import SUITES, SrtpKey, SrtpPair
from ringcast.telephony.sdp import SAVP, Crypto, build_sdp, parse_sdp
from ringcast.telephony.sip import SipRequest, SipResponse, TrunkConfig, UserAgent
from ringcast.telephony.sip.channel import MediaStream, SipChannel
from ringcast.telephony.sip.message import response_to
from ringcast.telephony.sip.sdes import SrtpMode
from telephony.sip.test_channel import PEER, FakeMedia, FakeTransport, pending

THEIR_KEY = SrtpKey(SUITES[0], bytes(range(30)))


class OrderedMedia(FakeMedia):
    """Remembers whether the keys were on before the stream was told where to send."""

    def __init__(self) -> None:
        super().__init__()
        self.secure_when_pointed: list[bool] = []

    def set_remote(self, host: str, port: int, payload_type: int, dtmf: int | None) -> None:
        self.secure_when_pointed.append(self.srtp is not None)
        super().set_remote(host, port, payload_type, dtmf)


def rig(mode: SrtpMode) -> tuple[UserAgent, FakeTransport, OrderedMedia, SipChannel]:
    config = TrunkConfig(host="127.0.0.1", port=5070, srtp=mode, srtp_over_insecure_signaling=True)
    ua = UserAgent(config)
    sip = FakeTransport()
    ua.transport = sip
    media = OrderedMedia()

    async def open_media() -> MediaStream:
        return media

    return ua, sip, media, SipChannel(ua, open_media)


def answer(ua: UserAgent, sip: FakeTransport, sdp: bytes, status: int = 200) -> SipRequest:
    invite = sip.requests("INVITE")[-1]
    resp = response_to(invite, status, "OK" if status < 300 else "Not Acceptable Here",
                       to_tag="far", body=sdp, content_type="application/sdp" if sdp else None,
                       extra=(("Contact", "<sip:far@127.0.0.1:5070>"),))  # fmt: skip
    ua.datagram_received(resp.to_bytes(), PEER)
    return invite


def their_sdp(proto: str, crypto: tuple[Crypto, ...] = (), version: int = 1) -> bytes:
    return build_sdp("127.0.0.1", 6000, 9, version, (0,), 101, proto=proto, crypto=crypto)


async def test_mandatory_offer_keys_before_media_and_reinvite_rekeys() -> None:
    ua, sip, media, channel = rig("mandatory")
    await channel.dial(DialRequest(to="1000", from_="me", enable_amd=False))
    offer = parse_sdp(sip.requests("INVITE")[0].body).audio()
    assert offer.proto == SAVP and [(c.tag, c.key.suite) for c in offer.crypto] == [
        (1, SUITES[0]),
        (2, SUITES[1]),
    ]
    invite = answer(ua, sip, their_sdp(SAVP, (Crypto(1, THEIR_KEY),)))
    assert pending(channel) == [Answered("unknown", sip_status=200)]
    assert media.secure_when_pointed == [True]
    assert isinstance(media.srtp, SrtpPair)
    assert media.srtp.tx_key == offer.crypto[0].key and media.srtp.rx_key == THEIR_KEY
    # the far end re-INVITEs (hold) with a new key: we read with it, keep ours
    new_key = SrtpKey.generate(SUITES[0])
    body = their_sdp(SAVP, (Crypto(4, new_key),), version=2).replace(b"a=sendrecv", b"a=sendonly")
    our_tag = invite.headers.get("From").split("tag=")[1]
    reinvite = (
        f"INVITE sip:me@127.0.0.1:5062 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKre1\r\n"
        f"From: <sip:1000@127.0.0.1>;tag=far\r\nTo: <sip:me@127.0.0.1>;tag={our_tag}\r\n"
        f"Call-ID: {invite.headers.get('Call-ID')}\r\nCSeq: 7 INVITE\r\n"
        f"Contact: <sip:far@127.0.0.1:5070>\r\nContent-Type: application/sdp\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    ua.datagram_received(reinvite, PEER)
    await asyncio.sleep(0)
    ok = [m for m in sip.sent if isinstance(m, SipResponse) and m.status == 200][-1]
    ours = parse_sdp(ok.body).audio()
    assert ours.proto == SAVP and ours.direction == "recvonly"
    assert [(c.tag, c.key) for c in ours.crypto] == [(4, offer.crypto[0].key)]
    assert media.srtp.rx_key == new_key and media.srtp.tx_key == offer.crypto[0].key
    await channel.hangup()
    ua.close()


async def test_mandatory_plain_answer_fails_srtp_required_without_media() -> None:
    ua, sip, media, channel = rig("mandatory")
    await channel.dial(DialRequest(to="1000", from_="me", enable_amd=False))
    answer(ua, sip, their_sdp("RTP/AVP"))
    assert pending(channel) == [DialFailed("failed", 200, "srtp_required")]
    assert media.remote is None and media.srtp is None and media.closed
    assert len(sip.requests("ACK")) == 1 and len(sip.requests("BYE")) == 1
    ua.close()


async def test_optional_488_retries_once_with_avp_and_the_same_keys() -> None:
    ua, sip, _media, channel = rig("optional")
    await channel.dial(DialRequest(to="1000", from_="me", enable_amd=False))
    first = parse_sdp(sip.requests("INVITE")[0].body).audio()
    answer(ua, sip, b"", status=488)
    assert pending(channel) == []  # not failed: a second offer went out
    second = parse_sdp(sip.requests("INVITE")[1].body).audio()
    assert first.proto == SAVP and second.proto == "RTP/AVP"
    assert second.crypto == first.crypto and second.port == first.port
    answer(ua, sip, b"", status=488)  # refused again: now the call fails
    (failed,) = pending(channel)
    assert isinstance(failed, DialFailed) and failed.sip_status == 488
    assert len(sip.requests("INVITE")) == 2
    ua.close()


def inbound(
    mode: SrtpMode, sdp: bytes
) -> tuple[UserAgent, FakeTransport, OrderedMedia, list[SipChannel]]:
    ua, sip, media, _ = rig(mode)

    async def open_media() -> MediaStream:
        return media

    channels: list[SipChannel] = []
    ua.on_invite = lambda call: channels.append(SipChannel.inbound(ua, call, open_media))
    raw = (
        b"INVITE sip:2001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKi\r\n"
        b"From: <sip:caller@x>;tag=c1\r\nTo: <sip:2001@127.0.0.1>\r\nCall-ID: in-srtp\r\n"
        b"CSeq: 1 INVITE\r\nContact: <sip:caller@127.0.0.1:5070>\r\n"
        b"Content-Type: application/sdp\r\nContent-Length: " + str(len(sdp)).encode()
        + b"\r\n\r\n" + sdp
    )  # fmt: skip
    ua.datagram_received(raw, PEER)
    return ua, sip, media, channels


async def test_inbound_offers_per_mode() -> None:
    savp = their_sdp(SAVP, (Crypto(3, THEIR_KEY),))
    for mode, sdp, status in (
        ("off", savp, 488),  # they would not take clear RTP
        ("mandatory", their_sdp("RTP/AVP"), 488),
        ("optional", savp, 200),
        ("mandatory", savp, 200),
        ("optional", their_sdp("RTP/AVP"), 200),
    ):
        ua, sip, media, (channel,) = inbound(mode, sdp)  # type: ignore[arg-type]
        await channel.answer()
        final = [m for m in sip.sent if isinstance(m, SipResponse) and m.status >= 200]
        assert [m.status for m in final] == [status], (mode, sdp)
        if status == 200:
            ours = parse_sdp(final[0].body).audio()
            if b"crypto" in sdp:
                assert ours.proto == SAVP and [c.tag for c in ours.crypto] == [3]
                assert media.srtp is not None and media.srtp.rx_key == THEIR_KEY
                assert media.srtp.tx_key == ours.crypto[0].key != THEIR_KEY
                assert media.secure_when_pointed == [True]
            else:
                assert ours.proto == "RTP/AVP" and not ours.crypto and media.srtp is None
        else:
            assert media.remote is None
        ua.close()
