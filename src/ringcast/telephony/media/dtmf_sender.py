"""Outbound DTMF as a sequence of frames, one per media clock tick.

A `DtmfJob` yields what a stream sends on each tick while the digit lasts,
instead of its normal audio:

- RFC 4733 (a telephone-event payload type was negotiated): event packets that
  all carry the RTP timestamp of the event start, the first with the marker
  bit, the duration growing by one frame each tick, then the final packet
  (end bit) three times;
- in-band (no telephone-event negotiated): the tone pair encoded with the
  stream's codec, followed by a short silence so the far end sees a gap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ringcast.telephony.channel import Pcm
from ringcast.telephony.media.dtmf_inband import dtmf_tone
from ringcast.telephony.media.rfc4733 import TelephoneEvent, digit_to_event

FRAME_SAMPLES = 160
END_PACKETS = 3
INBAND_GAP_MS = 60
EVENT_VOLUME = 10  # -dBm0, a typical phone's level


@dataclass(slots=True)
class DtmfFrame:
    payload: bytes
    event: bool  # True: send with the telephone-event payload type
    marker: bool
    timestamp: int | None  # for events: the event start; None = the stream's own


class DtmfJob:
    """One digit to send; `next_frame` is called once per tick until it returns None."""

    def __init__(self, digit: str, duration_ms: int, future: asyncio.Future[None]) -> None:
        self.code = digit_to_event(digit)
        self.digit = digit
        self.duration_samples = min(0xFFFF, max(FRAME_SAMPLES, duration_ms * 8))
        self.duration_ms = duration_ms
        self.future = future
        self._start_timestamp: int | None = None
        self._elapsed = 0
        self._ends_left = END_PACKETS
        self._inband: bytes | None = None
        self._inband_pos = 0

    def next_frame(
        self, timestamp: int, event_payload_type: int | None, encode: Callable[[Pcm], bytes]
    ) -> DtmfFrame | None:
        """The frame for this tick; `timestamp` is the stream's current one."""
        if event_payload_type is None:
            return self._next_inband(encode)
        first = self._start_timestamp is None
        if self._start_timestamp is None:
            self._start_timestamp = timestamp
        if self._elapsed < self.duration_samples:
            self._elapsed = min(self.duration_samples, self._elapsed + FRAME_SAMPLES)
        end = self._elapsed >= self.duration_samples
        if end:
            if self._ends_left == 0:
                return None
            self._ends_left -= 1
        payload = TelephoneEvent(self.code, end, EVENT_VOLUME, self._elapsed).serialize()
        return DtmfFrame(payload, True, first, self._start_timestamp)

    def _next_inband(self, encode: Callable[[Pcm], bytes]) -> DtmfFrame | None:
        if self._inband is None:
            tone = dtmf_tone(self.digit, self.duration_ms)
            pcm = np.concatenate((tone, np.zeros(INBAND_GAP_MS * 8, dtype=np.int16)))
            pad = (-pcm.size) % FRAME_SAMPLES
            self._inband = encode(np.concatenate((pcm, np.zeros(pad, dtype=np.int16))))
        pos = self._inband_pos
        if pos >= len(self._inband):
            return None
        self._inband_pos = pos + FRAME_SAMPLES
        return DtmfFrame(self._inband[pos : pos + FRAME_SAMPLES], False, pos == 0, None)
