"""What a callee hears: when a prompt ends, and when speech starts.

An energy gate on the caller's 20 ms frames: a prompt is "over" after at least
`min_speech_ms` of sound followed by `silence_ms` of quiet, which is when a
person starts typing. It also notes when sound first comes after a moment
(the voicemail message after the beep).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ringcast.telephony.channel import Pcm

FRAME_MS = 20


class PromptListener:
    def __init__(
        self,
        on_prompt_end: Callable[[], None],
        *,
        threshold: float = 300.0,
        min_speech_ms: int = 400,
        silence_ms: int = 700,
    ) -> None:
        self.on_prompt_end = on_prompt_end
        self.threshold = threshold
        self.min_speech_ms = min_speech_ms
        self.silence_ms = silence_ms
        self.elapsed_ms = 0
        self.first_sound_ms: int | None = None
        self._speech_ms = 0
        self._quiet_ms = 0

    def __call__(self, frame: Pcm) -> None:
        self.elapsed_ms += FRAME_MS
        loud = float(np.sqrt(np.mean(frame.astype(np.float32) ** 2))) > self.threshold
        if loud:
            if self.first_sound_ms is None:
                self.first_sound_ms = self.elapsed_ms - FRAME_MS
            self._speech_ms += FRAME_MS
            self._quiet_ms = 0
            return
        self._quiet_ms += FRAME_MS
        if self._speech_ms >= self.min_speech_ms and self._quiet_ms >= self.silence_ms:
            self._speech_ms = 0
            self.on_prompt_end()
