"""RFC 4733 telephone-event payloads (DTMF over RTP).

One event is 4 bytes: event code, end bit + reserved bit + volume (6 bits,
-dBm0), and a 16-bit duration in timestamp units. A sender marks the first
packet of an event, keeps the RTP timestamp at the event start for every packet
of that event, grows the duration, and sends the final packet (end bit set)
three times. A receiver therefore identifies an event by its RTP timestamp:
that is what makes "one digit per event" possible despite the retransmitted
end packets (see `EventDeduplicator`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ringcast.telephony.media.rtp import RtpParseError

_EVENT = struct.Struct("!BBH")

DIGITS = "0123456789*#ABCD"
"""Event codes 0..15 are the DTMF digits, in this order."""


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    event: int
    end: bool
    volume: int  # 0..63, as -dBm0
    duration: int  # timestamp units (8 kHz samples)

    @property
    def digit(self) -> str | None:
        """The DTMF digit, or None for other events (flash, tones)."""
        return DIGITS[self.event] if self.event < len(DIGITS) else None

    def serialize(self) -> bytes:
        if not 0 <= self.event <= 255 or not 0 <= self.volume <= 63:
            raise ValueError("event or volume out of range")
        if not 0 <= self.duration <= 0xFFFF:
            raise ValueError("duration out of range")
        return _EVENT.pack(self.event, (0x80 if self.end else 0) | self.volume, self.duration)


def digit_to_event(digit: str) -> int:
    """The event code of a DTMF digit; raises `ValueError` for anything else."""
    index = DIGITS.find(digit.upper()) if len(digit) == 1 else -1
    if index < 0:
        raise ValueError(f"not a DTMF digit: {digit!r}")
    return index


def parse_event(payload: bytes | bytearray | memoryview) -> TelephoneEvent:
    """Parse the first event block; raises `RtpParseError` if too short."""
    if len(payload) < _EVENT.size:
        raise RtpParseError(f"telephone-event payload too short: {len(payload)} bytes")
    event, flags, duration = _EVENT.unpack_from(payload, 0)
    return TelephoneEvent(event, bool(flags & 0x80), flags & 0x3F, duration)


class EventDeduplicator:
    """Turns a stream of telephone-event packets into one digit per event.

    An event is reported on the first packet seen for its RTP timestamp (start,
    update or end: the first packets may be lost), and never again for that
    timestamp, so retransmitted end packets and duration updates are silent.
    """

    __slots__ = ("_last_timestamp",)

    def __init__(self) -> None:
        self._last_timestamp: int | None = None

    def feed(self, timestamp: int, event: TelephoneEvent) -> str | None:
        if timestamp == self._last_timestamp:
            return None
        digit = event.digit
        if digit is None:
            return None
        self._last_timestamp = timestamp
        return digit
