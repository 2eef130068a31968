"""RTCP SR/RR (RFC 3550 §6.4): what we send parses back, and bad input only raises RtcpParseError."""

from __future__ import annotations

import asyncio

import pytest

from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.media.rtcp import (
    RR,
    SR,
    ReportBlock,
    RtcpParseError,
    parse_reports,
    sender_report,
)
from ringcast.telephony.media.stream import RtpStream


def test_a_sender_report_with_a_block_round_trips():
    block = ReportBlock(0xBEEF, 0.25, 3, 70000, 120, 0x12345678, 65536)
    data = sender_report(0xCAFE, 1_700_000_000.5, 160_000, 250, 40_000, block, "ringcast@x")
    assert len(data) % 4 == 0
    (report,) = parse_reports(data)  # the SDES part is skipped
    assert (report.kind, report.ssrc, report.packets_sent) == (SR, 0xCAFE, 250)
    assert report.ntp_middle != 0
    (got,) = report.blocks
    assert (got.ssrc, got.cumulative_lost, got.highest_seq, got.jitter) == (0xBEEF, 3, 70000, 120)
    assert got.fraction_lost == 0.25 and (got.lsr, got.dlsr) == (0x12345678, 65536)


def test_a_receiver_report_from_elsewhere_parses():
    # RR, 1 block, from SSRC 1 about SSRC 2: 10 % lost (25/256), 5 cumulative, jitter 40
    rr = bytes.fromhex("81c90007" "00000001" "00000002" "19000005" "0000ffff" "00000028"
                       "00000000" "00000000")  # fmt: skip
    (report,) = parse_reports(rr)
    assert report.kind == RR and report.packets_sent is None
    (b,) = report.blocks
    assert (b.ssrc, b.cumulative_lost, b.jitter) == (2, 5, 40)
    assert round(b.fraction_lost, 2) == 0.1


@pytest.mark.parametrize(
    "data", [b"", b"\x80\xc8\x00", b"\x40\xc8\x00\x01\x00\x00\x00\x00",
             bytes.fromhex("81c9000700000001"), bytes.fromhex("80c8000600000001")],
)  # fmt: skip
def test_malformed_input_raises_only_parse_errors(data):
    with pytest.raises(RtcpParseError):
        parse_reports(data)


async def test_two_streams_exchange_sender_reports():
    clock = MediaClock()
    a = await RtpStream.open(clock)
    b = await RtpStream.open(clock)
    try:
        for s in (a, b):
            s.rtcp_interval_s = 0.5  # the clock's housekeeping runs once a second
        a.set_remote("127.0.0.1", b.local_port, 0, 101)
        b.set_remote("127.0.0.1", a.local_port, 0, 101)
        await asyncio.sleep(2.6)
        for me, peer in ((a, b), (b, a)):
            got = me.reception()
            assert got["rtcpSent"] >= 1 and got["rtcpReceived"] >= 1, got
            assert me.remote_report is not None
            assert me.remote_report.ssrc == me._ssrc  # the peer reports on our stream
            assert got["remoteLossPercent"] == 0.0 and got["remotePacketsLost"] <= 1, got
            assert me.remote_report.lsr != 0  # it had our SR (round-trip fields filled)
            assert peer.stats.packets_received > 50
    finally:
        a.close()
        b.close()
        clock.close()
