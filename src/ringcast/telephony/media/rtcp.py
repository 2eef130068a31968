"""RTCP sender and receiver reports (RFC 3550 §6.4), packed and parsed.

We send a compound packet of one SR (our packet and octet counts, NTP and RTP
timestamps) with at most one report block about the stream we receive (fraction
lost, cumulative lost, extended highest sequence number, interarrival jitter, LSR,
DLSR), followed by the SDES CNAME every compound packet needs (§6.1). From the far
end we read SR and RR packets: the report block about our SSRC tells what it heard
of us. Parsing never raises anything but `RtcpParseError`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

SR = 200
RR = 201
SDES = 202
_HEADER = struct.Struct("!BBH")
_SR_INFO = struct.Struct("!IIIIII")  # SSRC, NTP msw, NTP lsw, RTP ts, packets, octets
_BLOCK = struct.Struct("!IIIIII")  # SSRC, fraction|lost, ext seq, jitter, LSR, DLSR
_NTP_EPOCH = 2208988800  # 1900 → 1970


class RtcpParseError(ValueError):
    """A datagram is not a well-formed RTCP compound packet."""


@dataclass(frozen=True, slots=True)
class ReportBlock:
    ssrc: int
    fraction_lost: float  # 0..1, since the previous report
    cumulative_lost: int
    highest_seq: int
    jitter: int  # timestamp units
    lsr: int
    dlsr: int


@dataclass(frozen=True, slots=True)
class Report:
    kind: int  # SR or RR
    ssrc: int
    ntp_middle: int  # the middle 32 bits of the SR's NTP time (LSR for our reply), or 0
    packets_sent: int | None
    blocks: tuple[ReportBlock, ...]


def ntp_time(unix_s: float) -> tuple[int, int]:
    seconds = int(unix_s) + _NTP_EPOCH
    fraction = int((unix_s % 1) * (1 << 32)) & 0xFFFFFFFF
    return seconds & 0xFFFFFFFF, fraction


def sender_report(
    ssrc: int,
    unix_s: float,
    rtp_ts: int,
    packets: int,
    octets: int,
    block: ReportBlock | None,
    cname: str,
) -> bytes:
    msw, lsw = ntp_time(unix_s)
    body = _SR_INFO.pack(ssrc, msw, lsw, rtp_ts & 0xFFFFFFFF, packets & 0xFFFFFFFF,
                         octets & 0xFFFFFFFF)  # fmt: skip
    count = 0
    if block is not None:
        count = 1
        lost = max(-(1 << 23), min(block.cumulative_lost, (1 << 23) - 1)) & 0xFFFFFF
        fraction = max(0, min(255, int(block.fraction_lost * 256)))
        body += _BLOCK.pack(block.ssrc, (fraction << 24) | lost, block.highest_seq & 0xFFFFFFFF,
                            block.jitter & 0xFFFFFFFF, block.lsr, block.dlsr)  # fmt: skip
    sr = _HEADER.pack(0x80 | count, SR, len(body) // 4) + body
    item = cname.encode()[:255]
    chunk = struct.pack("!IBB", ssrc, 1, len(item)) + item + b"\x00"
    chunk += b"\x00" * (-len(chunk) % 4)
    sdes = _HEADER.pack(0x81, SDES, len(chunk) // 4) + chunk
    return sr + sdes


def parse_reports(data: bytes) -> list[Report]:
    """The SR and RR packets of a compound packet (other packet types skipped)."""
    reports: list[Report] = []
    at = 0
    if len(data) < 8:
        raise RtcpParseError("too short for RTCP")
    while at + 4 <= len(data):
        first, kind, words = _HEADER.unpack_from(data, at)
        if first >> 6 != 2:
            raise RtcpParseError(f"not RTCP version 2: {first >> 6}")
        end = at + 4 + 4 * words
        if end > len(data):
            raise RtcpParseError("length beyond the datagram")
        count = first & 0x1F
        if kind in (SR, RR):
            pos = at + 4
            if pos + 4 > end:
                raise RtcpParseError("report without SSRC")
            (ssrc,) = struct.unpack_from("!I", data, pos)
            ntp_middle, sent = 0, None
            pos += 4
            if kind == SR:
                if pos + 20 > end:
                    raise RtcpParseError("SR too short")
                msw, lsw, _ts, sent, _octets = struct.unpack_from("!IIIII", data, pos)
                ntp_middle = ((msw & 0xFFFF) << 16) | (lsw >> 16)
                pos += 20
            blocks = []
            for _ in range(count):
                if pos + 24 > end:
                    raise RtcpParseError("report block beyond the packet")
                src, fl, seq, jitter, lsr, dlsr = _BLOCK.unpack_from(data, pos)
                lost = fl & 0xFFFFFF
                if lost & 0x800000:
                    lost -= 1 << 24
                blocks.append(ReportBlock(src, (fl >> 24) / 256, lost, seq, jitter, lsr, dlsr))
                pos += 24
            reports.append(Report(kind, ssrc, ntp_middle, sent, tuple(blocks)))
        at = end
    return reports
