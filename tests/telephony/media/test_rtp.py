from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringcast.telephony.media.rtp import (
    RtpExtension,
    RtpPacket,
    RtpParseError,
    parse_rtp,
    payload_bounds,
)

# Hand-assembled from RFC 3550 section 5.1: V=2, M=1, PT=0, seq=0x1234,
# ts=0xDEADBEEF, SSRC=0x01020304, then 4 µ-law bytes.
GOLDEN_PCMU = bytes.fromhex("80801234deadbeef01020304ffff7f00")
# V=2, P=1, X=1, CC=2, PT=101, two CSRCs, extension profile 0xBEDE with one
# word, payload 4 bytes, 3 bytes of padding (last byte = 3).
GOLDEN_FULL = bytes.fromhex(
    "b2650001000000a0cafebabe0000000100000002bede0001aabbccdd0b8a0320000003"
)


def test_golden_pcmu_parses() -> None:
    pkt = parse_rtp(GOLDEN_PCMU)
    assert pkt == RtpPacket(0, 0x1234, 0xDEADBEEF, 0x01020304, b"\xff\xff\x7f\x00", marker=True)
    assert pkt.serialize() == GOLDEN_PCMU


def test_golden_full_header_parses() -> None:
    pkt = parse_rtp(GOLDEN_FULL)
    assert pkt.payload_type == 101
    assert not pkt.marker
    assert pkt.sequence_number == 1
    assert pkt.timestamp == 160
    assert pkt.ssrc == 0xCAFEBABE
    assert pkt.csrc == (1, 2)
    assert pkt.extension == RtpExtension(0xBEDE, bytes.fromhex("aabbccdd"))
    assert pkt.payload == bytes.fromhex("0b8a0320")
    assert pkt.padding_size == 3
    assert pkt.serialize() == GOLDEN_FULL


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "too short"),
        (GOLDEN_PCMU[:11], "too short"),
        (b"\x40" + GOLDEN_PCMU[1:], "version"),
        (b"\x8f" + GOLDEN_PCMU[1:], "longer than the packet"),  # 15 CSRCs announced
        (b"\x90" + GOLDEN_PCMU[1:12] + b"\xbe\xde", "extension"),
        (b"\x90" + GOLDEN_PCMU[1:12] + b"\xbe\xde\x00\x09", "longer than the packet"),
        (b"\xa0" + GOLDEN_PCMU[1:15] + b"\x00", "padding size is 0"),
        (b"\xa0" + GOLDEN_PCMU[1:15] + b"\x09", "overruns"),
    ],
)
def test_malformed_packets_raise_parse_error(data: bytes, why: str) -> None:
    with pytest.raises(RtpParseError, match=why):
        parse_rtp(data)


def test_padding_may_fill_whole_payload() -> None:
    data = b"\xa0" + GOLDEN_PCMU[1:12] + b"\x00\x00\x00\x04"
    assert parse_rtp(data).payload == b""
    assert payload_bounds(data) == (12, 12)


packets = st.builds(
    RtpPacket,
    payload_type=st.integers(0, 127),
    sequence_number=st.integers(0, 0xFFFF),
    timestamp=st.integers(0, 0xFFFFFFFF),
    ssrc=st.integers(0, 0xFFFFFFFF),
    payload=st.binary(max_size=200),
    marker=st.booleans(),
    csrc=st.lists(st.integers(0, 0xFFFFFFFF), max_size=15).map(tuple),
    extension=st.none()
    | st.builds(
        RtpExtension,
        profile=st.integers(0, 0xFFFF),
        data=st.integers(0, 8).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n)),
    ),
    padding_size=st.integers(0, 255),
)


@given(packets)
def test_serialize_parse_round_trip(pkt: RtpPacket) -> None:
    assert parse_rtp(pkt.serialize()) == pkt


@given(st.binary(max_size=120))
def test_random_bytes_raise_only_parse_error(data: bytes) -> None:
    try:
        pkt = parse_rtp(data)
    except RtpParseError:
        return
    # Whatever parsed must describe the datagram exactly (modulo padding content).
    assert len(pkt.serialize()) == len(data)


@given(packets, st.integers(0, 300))
def test_truncated_packets_never_escape_other_errors(pkt: RtpPacket, cut: int) -> None:
    data = pkt.serialize()
    with contextlib.suppress(RtpParseError):
        parse_rtp(data[: max(0, len(data) - cut)])
