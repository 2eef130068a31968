"""SDP offer/answer: golden offer, negotiation rules, strict parsing, fuzzing."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringcast.telephony.sdp import (
    Negotiated,
    SdpParseError,
    build_sdp,
    negotiate,
    parse_sdp,
    payload_types,
)

GOLDEN_OFFER = (
    b"v=0\r\no=ringcast 7 1 IN IP4 127.0.0.1\r\ns=ringcast\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
)

SIPP_ANSWER = """v=0
o=sipp 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6000 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
"""


def test_offer_is_golden() -> None:
    assert build_sdp("127.0.0.1", 40000, 7, 1) == GOLDEN_OFFER


def test_offer_round_trips() -> None:
    sdp = parse_sdp(GOLDEN_OFFER)
    audio = sdp.audio()
    assert audio.formats == [0, 8, 101]
    assert audio.rtpmap[101] == ("telephone-event", 8000)
    assert audio.ptime_ms == 20
    assert negotiate(sdp) == Negotiated("127.0.0.1", 40000, 0, 101)


def test_answer_from_sipp() -> None:
    assert negotiate(parse_sdp(SIPP_ANSWER)) == Negotiated("127.0.0.1", 6000, 0, 101)


def test_media_level_connection_and_pcma_first() -> None:
    text = SIPP_ANSWER.replace(
        "m=audio 6000 RTP/AVP 0 101", "m=audio 6002 RTP/AVP 8 0\nc=IN IP4 127.0.0.9"
    )
    assert negotiate(parse_sdp(text)) == Negotiated("127.0.0.9", 6002, 8, None)


def test_dynamic_pt_for_g711_and_no_common_codec() -> None:
    dyn = SIPP_ANSWER.replace("RTP/AVP 0 101", "RTP/AVP 96").replace(
        "a=rtpmap:0 PCMU", "a=rtpmap:96 PCMA"
    )
    assert negotiate(parse_sdp(dyn)).payload_type == 96
    opus = SIPP_ANSWER.replace("RTP/AVP 0 101", "RTP/AVP 111").replace(
        "a=rtpmap:0 PCMU/8000", "a=rtpmap:111 opus/48000/2"
    )
    with pytest.raises(SdpParseError):
        negotiate(parse_sdp(opus))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "v=1\n",
        "v=0\nm=audio x RTP/AVP 0\n",
        "v=0\nm=audio 70000 RTP/AVP 0\n",
        "v=0\nm=audio 5000 RTP/AVP 300\n",
        "v=0\nc=IN IP4\nm=audio 5000 RTP/AVP 0\n",
        "v=0\nno equals sign\n",
        "v=0\ns=only a session\n",
        "v=0\nm=audio 5000 RTP/AVP 0\na=rtpmap:0 PCMU\n",
    ],
)
def test_malformed_sdp_raises(text: str) -> None:
    with pytest.raises(SdpParseError):
        negotiate(parse_sdp(text))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_bytes(data: bytes) -> None:
    with contextlib.suppress(SdpParseError):
        negotiate(parse_sdp(data))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(SIPP_ANSWER)), st.integers(0, 20), st.text(max_size=12))
def test_fuzz_mutated_answer(position: int, cut: int, insert: str) -> None:
    with contextlib.suppress(SdpParseError):
        negotiate(parse_sdp(SIPP_ANSWER[:position] + insert + SIPP_ANSWER[position + cut :]))


def test_codec_restriction_by_name() -> None:
    offer = parse_sdp(build_sdp("127.0.0.1", 5000, 1, 1, (8, 0)))
    assert negotiate(offer, ("PCMU",)).payload_type == 0
    assert negotiate(offer).payload_type == 8  # their order wins
    with pytest.raises(SdpParseError):
        negotiate(parse_sdp(build_sdp("127.0.0.1", 5000, 1, 1, (8,))), ("PCMU",))
    assert payload_types(("pcma", "PCMU", "G729")) == (8, 0)
    with pytest.raises(SdpParseError):
        payload_types(("G729",))
