"""End of a voicemail greeting, for `waitForBeep`.

After a `machine` verdict the call keeps listening until the greeting is over,
so the message we then play is recorded whole. The greeting has ended when:

- a confirmed beep stops sounding (`beep`): machines record *after* the tone,
  so we report the first frame without it, not the moment it was recognised;
- or, once some speech has been heard, `silence_ms` of silence follow it
  (`silence`): a greeting with no beep. This must outlast the pauses between
  a greeting's sentences and the gap before a late beep, hence 1.5 s;
- or nothing of the sort within `cap_ms` (`cap`).

A frame the network lost (`LOST_FRAME`) is neither speech nor silence: the
silence run neither grows nor restarts across it.

Frames are classified with the same `SpeechFrames`/`BeepDetector` as the AMD
decision; `AmdDetector.greeting_end_detector()` hands over its clock, its beep
detector (a beep half-way through is not lost) and whether speech was heard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ringcast.telephony.amd.beep import BeepDetector
from ringcast.telephony.amd.frames import FRAME_MS, SpeechFrames
from ringcast.telephony.channel import LOST_FRAME, Pcm


@dataclass(frozen=True, slots=True)
class GreetingEnd:
    reason: Literal["beep", "silence", "cap"]
    at_ms: int
    """Time of the deciding frame, on the clock given as `start_ms` (default: our first frame)."""


class GreetingEndDetector:
    """Feed 20 ms frames after the verdict; returns `GreetingEnd` once."""

    def __init__(
        self,
        cap_ms: int = 20000,
        silence_ms: int = 1500,
        *,
        start_ms: int = 0,
        beep: BeepDetector | None = None,
        frames: SpeechFrames | None = None,
        speech_heard: bool = False,
        silence_run_ms: int = 0,
    ) -> None:
        self._cap_ms = cap_ms
        self._silence_ms = silence_ms
        self._start_ms = start_ms
        self._elapsed_ms = 0
        self._beep = beep or BeepDetector()
        self._frames = frames or SpeechFrames()
        self._speech_heard = speech_heard
        self._silence_run_ms = silence_run_ms
        self._in_beep = self._beep.confirmed  # handed over mid-beep: its end is the end
        self.result: GreetingEnd | None = None

    def feed(self, frame: Pcm) -> GreetingEnd | None:
        if self.result is not None:
            return None
        self._elapsed_ms += FRAME_MS
        now_ms = self._start_ms + self._elapsed_ms
        if frame is LOST_FRAME:  # neither speech nor silence; beep and VAD hold their state
            if self._elapsed_ms >= self._cap_ms:
                self.result = GreetingEnd("cap", now_ms)
            return self.result
        speech = self._frames.classify(frame).speech  # checks the frame size first
        beep = self._beep.feed(frame)
        if self._in_beep and not beep:
            self.result = GreetingEnd("beep", now_ms)
        self._in_beep = beep
        if self._beep.tone_ms:
            self._silence_run_ms = 0  # a tone is not the silence after a greeting
        elif speech:
            self._speech_heard = True
            self._silence_run_ms = 0
        else:
            self._silence_run_ms += FRAME_MS
        if self.result is None and self._speech_heard and self._silence_run_ms >= self._silence_ms:
            self.result = GreetingEnd("silence", now_ms)
        if self.result is None and self._elapsed_ms >= self._cap_ms:
            self.result = GreetingEnd("cap", now_ms)
        return self.result
