"""Two call legs bridged in our media engine: audio relayed both ways, keys passed through.

Each leg's inbound frames (decoded to 8 kHz PCM by its own codec) are fed to the
other leg's stream (`RtpStream.feed`), which encodes them with *its* codec on
the shared 20 ms clock: a µ-law leg and an A-law leg are transcoded on the way
by construction, and a frame waits at most one tick plus the receive jitter.
A key heard on one leg (RFC 4733, SIP INFO or in-band, as the stream reports
it) is sent on the other (`send_dtmf`). With `record`, both directions are kept
as one stereo recording: the callee left, the agent right, aligned frame by
frame (a side that sent nothing in a frame gets silence).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

import numpy as np

from ringcast.telephony.channel import DigitSource, Pcm

FrameListener = Callable[[Pcm], None]
DigitHandler = Callable[[str, DigitSource], None]


class BridgeLeg(Protocol):
    """What a bridge needs of a leg's media stream (`RtpStream` fits)."""

    on_dtmf: DigitHandler | None

    def add_listener(self, fn: FrameListener) -> None: ...
    def remove_listener(self, fn: FrameListener) -> None: ...
    def feed(self, frame: Pcm) -> None: ...
    def send_dtmf(self, digit: str, duration_ms: int = ...) -> asyncio.Future[None]: ...


class StereoRecording:
    """Frames of both sides, aligned: `left` (callee) and `right` (agent)."""

    def __init__(self, leg: int = 0) -> None:
        self.leg = leg
        """Which forwarded leg of the call this is (`ForwardRequest.leg`)."""
        self._left: list[Pcm] = []
        self._right: list[Pcm] = []

    def add(self, side: int, frame: Pcm) -> None:
        """A frame heard from the callee (`side` 0) or the agent (1)."""
        (self._left if side == 0 else self._right).append(frame)

    def pcm(self) -> Pcm:
        """Samples as an (n, 2) int16 array: column 0 the callee, column 1 the agent."""
        left = np.concatenate(self._left) if self._left else np.zeros(0, np.int16)
        right = np.concatenate(self._right) if self._right else np.zeros(0, np.int16)
        n = max(left.size, right.size)
        out = np.zeros((n, 2), dtype=np.int16)
        out[: left.size, 0] = left
        out[: right.size, 1] = right
        return out

    @property
    def duration_ms(self) -> int:
        return max(sum(f.size for f in self._left), sum(f.size for f in self._right)) // 8


class Bridge:
    """Relay between `callee` and `agent` from `start()` to `stop()`."""

    def __init__(
        self, callee: BridgeLeg, agent: BridgeLeg, *, record: bool = True, leg: int = 0
    ) -> None:
        self.callee = callee
        self.agent = agent
        self.recording: StereoRecording | None = StereoRecording(leg) if record else None
        self._saved: tuple[DigitHandler | None, DigitHandler | None] = (None, None)
        self._running = False
        self.keys_relayed = 0

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        self.callee.add_listener(self._from_callee)
        self.agent.add_listener(self._from_agent)
        self._saved = (self.callee.on_dtmf, self.agent.on_dtmf)
        self.callee.on_dtmf = self._key_handler(self._saved[0], self.agent)
        self.agent.on_dtmf = self._key_handler(self._saved[1], self.callee)

    def stop(self) -> StereoRecording | None:
        """End the relay (each leg keeps its other listeners); the recording, if kept."""
        if self._running:
            self._running = False
            self.callee.remove_listener(self._from_callee)
            self.agent.remove_listener(self._from_agent)
            self.callee.on_dtmf, self.agent.on_dtmf = self._saved
        return self.recording

    def _from_callee(self, frame: Pcm) -> None:
        self.agent.feed(frame)
        if self.recording is not None:
            self.recording.add(0, frame)

    def _from_agent(self, frame: Pcm) -> None:
        self.callee.feed(frame)
        if self.recording is not None:
            self.recording.add(1, frame)

    def _key_handler(self, previous: DigitHandler | None, to: BridgeLeg) -> DigitHandler:
        def relay(digit: str, source: DigitSource) -> None:
            if previous is not None:
                previous(digit, source)
            self.keys_relayed += 1
            to.send_dtmf(digit)

        return relay
