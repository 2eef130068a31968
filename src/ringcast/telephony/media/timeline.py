"""Keeping inbound audio on the RTP timeline (no jitter buffer, just gaps and late packets).

Listeners (recorder, AMD, in-band DTMF) measure time in samples, so a lost
packet, or a peer that stops sending during silence (DTX), must not shorten
their timeline. `InboundTimeline.place` compares each packet's RTP timestamp
with the one expected after the previous packet of the same SSRC:

- on time: deliver it;
- ahead: first deliver that many samples of silence (capped at `max_fill_ms`,
  so a timestamp jump from a broken peer cannot allocate minutes of zeros);
- behind (late, reordered or duplicated): drop it — without a jitter buffer a
  late frame cannot go back in time, and the gap was already filled.

A new SSRC (the far end restarted its stream) starts a new timeline.
"""

from __future__ import annotations

_MASK32 = 0xFFFFFFFF
_HALF = 0x80000000


class InboundTimeline:
    __slots__ = ("_max_fill", "_next", "_ssrc")

    def __init__(self, max_fill_ms: int = 10_000) -> None:
        self._max_fill = max_fill_ms * 8
        self._ssrc: int | None = None
        self._next = 0

    def reset(self) -> None:
        self._ssrc = None

    def place(self, ssrc: int, timestamp: int, samples: int) -> int | None:
        """Samples of silence to deliver before this packet, or None to drop it."""
        fill = 0
        if ssrc == self._ssrc:
            ahead = (timestamp - self._next) & _MASK32
            if ahead >= _HALF:
                return None
            fill = min(ahead, self._max_fill)
        self._ssrc = ssrc
        self._next = (timestamp + samples) & _MASK32
        return fill
