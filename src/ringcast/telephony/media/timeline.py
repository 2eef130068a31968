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

Lost or not sent: a filled gap is either packets the network lost or a pause the
far end chose not to send (DTX, silence suppression: the timestamp jumps, the
sequence number does not). `place_packet` tells them apart by the sequence
number (every packet of the SSRC counts, telephone events included: `saw`):
`Gap.lost` samples of the gap were lost, the rest was not sent. The lost ones
are placed next to the packet that came (the far end's talkspurt went on up to
it) unless that packet starts a talkspurt (marker bit), when they close the
previous talkspurt instead. Listeners get lost samples as `LOST_FRAME`
(channel.py), neither speech nor silence to AMD.
"""

from __future__ import annotations

from typing import NamedTuple

_MASK32 = 0xFFFFFFFF
_HALF = 0x80000000
_MASK16 = 0xFFFF
_HALF16 = 0x8000


class Gap(NamedTuple):
    fill: int
    """Samples to deliver before the packet (lost + not sent)."""
    lost: int = 0
    """Of which lost in the network (a sequence gap); the rest is DTX silence."""
    lost_first: bool = False
    """The lost samples open the gap (right after the previous packet) rather than close it."""


class InboundTimeline:
    __slots__ = ("_max_fill", "_next", "_seq", "_ssrc")

    def __init__(self, max_fill_ms: int = 10_000) -> None:
        self._max_fill = max_fill_ms * 8
        self._ssrc: int | None = None
        self._next = 0
        self._seq: int | None = None

    def reset(self) -> None:
        self._ssrc = None
        self._seq = None

    def place(self, ssrc: int, timestamp: int, samples: int) -> int | None:
        """Samples of silence to deliver before this packet, or None to drop it."""
        gap = self.place_packet(ssrc, timestamp, samples)
        return None if gap is None else gap.fill

    def place_packet(
        self,
        ssrc: int,
        timestamp: int,
        samples: int,
        seq: int | None = None,
        marker: bool = False,
    ) -> Gap | None:
        """The gap to deliver before this packet, or None to drop it (late or duplicate).

        Without `seq` every gap counts as not sent (the behaviour before lost frames).
        """
        fill = 0
        missing = 0
        if ssrc == self._ssrc:
            ahead = (timestamp - self._next) & _MASK32
            if ahead >= _HALF:
                return None
            fill = min(ahead, self._max_fill)
            if seq is not None and self._seq is not None:
                missing = (seq - self._seq - 1) & _MASK16
                if missing >= _HALF16:
                    missing = 0  # behind the newest seen (an event in between): nothing lost
        else:
            self._seq = None
        self._ssrc = ssrc
        self._next = (timestamp + samples) & _MASK32
        if seq is not None:
            self._seq = seq
        lost = min(fill, missing * samples)
        return Gap(fill, lost, lost_first=marker and lost < fill)

    def saw(self, ssrc: int, seq: int) -> None:
        """A packet of this SSRC that carries no audio (a telephone event): it takes a
        sequence number, so it is not a loss."""
        if ssrc == self._ssrc and self._seq is not None and (seq - self._seq) & _MASK16 < _HALF16:
            self._seq = seq
