"""RTP packets (RFC 3550): parse and serialize, every length checked.

Layout: a 12-byte fixed header (version 2, padding bit, extension bit, CSRC
count, marker, payload type, sequence number, timestamp, SSRC), then 4 bytes
per CSRC, then an optional header extension (16-bit profile, 16-bit length in
32-bit words, data), then the payload, then optional padding whose size is the
last byte of the datagram. `payload_bounds` walks that layout without building
objects, so the receive hot path can use it; `parse_rtp` builds an `RtpPacket`
on top of it. Anything that does not fit raises `RtpParseError` and nothing
else: a malformed datagram must be dropped, never kill a call.

The send hot path does not use `RtpPacket` at all: it packs `RTP_HEADER` into
a reused buffer (see `stream.py`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

RTP_VERSION = 2
RTP_HEADER = struct.Struct("!BBHII")
"""first byte, marker|payload type, sequence number, timestamp, SSRC."""

_EXTENSION_HEADER = struct.Struct("!HH")
_CSRC = struct.Struct("!I")


class RtpParseError(ValueError):
    """A datagram is not a well-formed RTP packet."""


@dataclass(frozen=True, slots=True)
class RtpExtension:
    profile: int
    data: bytes  # a multiple of 4 bytes


@dataclass(frozen=True, slots=True)
class RtpPacket:
    payload_type: int
    sequence_number: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrc: tuple[int, ...] = ()
    extension: RtpExtension | None = None
    padding_size: int = 0

    def serialize(self) -> bytes:
        """The wire bytes; raises `ValueError` for fields that do not fit."""
        if not 0 <= self.payload_type <= 127:
            raise ValueError(f"payload type out of range: {self.payload_type}")
        if len(self.csrc) > 15:
            raise ValueError("at most 15 CSRCs")
        if not 0 <= self.padding_size <= 255:
            raise ValueError(f"padding size out of range: {self.padding_size}")
        first = (RTP_VERSION << 6) | len(self.csrc)
        if self.padding_size:
            first |= 0x20
        if self.extension is not None:
            first |= 0x10
        out = bytearray(
            RTP_HEADER.pack(
                first,
                (0x80 if self.marker else 0) | self.payload_type,
                self.sequence_number & 0xFFFF,
                self.timestamp & 0xFFFFFFFF,
                self.ssrc & 0xFFFFFFFF,
            )
        )
        for csrc in self.csrc:
            out += _CSRC.pack(csrc)
        if self.extension is not None:
            data = self.extension.data
            if len(data) % 4:
                raise ValueError("extension data must be a multiple of 4 bytes")
            out += _EXTENSION_HEADER.pack(self.extension.profile, len(data) // 4)
            out += data
        out += self.payload
        if self.padding_size:
            out += bytes(self.padding_size - 1) + bytes((self.padding_size,))
        return bytes(out)


def payload_bounds(data: bytes | bytearray | memoryview) -> tuple[int, int]:
    """Start and end offsets of the payload in `data`; raises `RtpParseError`."""
    size = len(data)
    if size < RTP_HEADER.size:
        raise RtpParseError(f"packet too short for an RTP header: {size} bytes")
    first = data[0]
    if first >> 6 != RTP_VERSION:
        raise RtpParseError(f"not RTP version 2: {first >> 6}")
    start = RTP_HEADER.size + 4 * (first & 0x0F)
    if first & 0x10:
        if size < start + _EXTENSION_HEADER.size:
            raise RtpParseError("packet too short for its header extension")
        words = (data[start + 2] << 8) | data[start + 3]
        start += _EXTENSION_HEADER.size + 4 * words
    if start > size:
        raise RtpParseError(f"header ({start} bytes) longer than the packet ({size})")
    end = size
    if first & 0x20:
        padding = data[size - 1]
        if padding == 0:
            raise RtpParseError("padding bit set but padding size is 0")
        end = size - padding
        if end < start:
            raise RtpParseError(f"padding ({padding}) overruns the payload")
    return start, end


def parse_rtp(data: bytes | bytearray | memoryview) -> RtpPacket:
    """Parse one datagram; raises `RtpParseError` (and only that) if malformed."""
    start, end = payload_bounds(data)
    raw = bytes(data)
    first, second, seq, timestamp, ssrc = RTP_HEADER.unpack_from(raw, 0)
    csrc_count = first & 0x0F
    csrc = tuple(_CSRC.unpack_from(raw, 12 + 4 * i)[0] for i in range(csrc_count))
    extension = None
    if first & 0x10:
        at = 12 + 4 * csrc_count
        profile, words = _EXTENSION_HEADER.unpack_from(raw, at)
        extension = RtpExtension(profile, raw[at + 4 : at + 4 + 4 * words])
    return RtpPacket(
        payload_type=second & 0x7F,
        sequence_number=seq,
        timestamp=timestamp,
        ssrc=ssrc,
        payload=raw[start:end],
        marker=bool(second & 0x80),
        csrc=csrc,
        extension=extension,
        padding_size=len(raw) - end,
    )
