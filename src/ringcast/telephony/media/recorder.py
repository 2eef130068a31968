"""Recording the far end: a stream listener with the stop rules of a Record node.

Theory of operation: `Recorder.feed` is added as an `RtpStream` listener and
accumulates decoded frames. Time is counted in received samples (8 per ms), so
the rules are deterministic and testable without a clock:

- `max_duration`: the recording reached `max_duration_ms` (it is cut there);
- `silence`: no frame louder than the silence threshold (mean absolute sample,
  Asterisk's unit) for `silence_timeout_ms`; the trailing silence is trimmed;
- `finish_key`: `on_digit` got the `finish_on_key` digit;
- `hangup` / `stopped`: the channel ended it (`stop`).

The result is a `RecordingDone` (the channel event) passed once to `on_done`.
`beep_clip` is the prompt played before recording starts; `wav_bytes` writes 8 kHz
16-bit mono WAV for storage.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from typing import Literal

import numpy as np

from ringcast.telephony.channel import Pcm, RecordingDone, RecordRequest

SAMPLES_PER_MS = 8
DEFAULT_SILENCE_THRESHOLD = 256
"""Mean absolute sample value below which a frame counts as silence."""

StopReason = Literal["hangup", "stopped"]


def beep_clip(frequency_hz: float = 1000.0, duration_ms: int = 200, level: float = 0.3) -> Pcm:
    """A sine beep (1 kHz, 200 ms by default) with 5 ms ramps so it does not click."""
    n = duration_ms * SAMPLES_PER_MS
    t = np.arange(n) / 8000
    envelope = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / 40)
    wave_ = level * 32767 * envelope * np.sin(2 * np.pi * frequency_hz * t)
    return np.round(wave_).astype(np.int16)


def wav_bytes(pcm: Pcm) -> bytes:
    """8 kHz, 16-bit, mono WAV file bytes."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.asarray(pcm, dtype="<i2").tobytes())
    return out.getvalue()


class Recorder:
    """Accumulates inbound PCM until a stop rule fires; see the module docstring."""

    def __init__(
        self,
        request: RecordRequest,
        on_done: Callable[[RecordingDone], None] | None = None,
        *,
        silence_threshold: int = DEFAULT_SILENCE_THRESHOLD,
    ) -> None:
        self._request = request
        self._on_done = on_done
        self._threshold = silence_threshold
        self._max_samples = request.max_duration_ms * SAMPLES_PER_MS
        self._silence_samples = request.silence_timeout_ms * SAMPLES_PER_MS
        self._chunks: list[Pcm] = []
        self._samples = 0
        self._last_sound_end = 0  # sample index just after the last loud frame
        self.result: RecordingDone | None = None

    @property
    def done(self) -> bool:
        return self.result is not None

    @property
    def recorded_ms(self) -> int:
        return self._samples // SAMPLES_PER_MS

    def feed(self, pcm: Pcm) -> None:
        """Listener entry point: one decoded inbound frame."""
        if self.result is not None or pcm.size == 0:
            return
        room = self._max_samples - self._samples
        frame = pcm[:room] if pcm.size > room else pcm
        self._chunks.append(frame.copy())
        self._samples += frame.size
        if float(np.abs(frame.astype(np.int32)).mean()) >= self._threshold:
            self._last_sound_end = self._samples
        if self._samples >= self._max_samples:
            self._finish("max_duration", self._samples)
        elif (
            self._silence_samples and self._samples - self._last_sound_end >= self._silence_samples
        ):
            self._finish("silence", self._last_sound_end)

    __call__ = feed

    def on_digit(self, digit: str) -> None:
        """Finish-on-key hook: call it with every digit received while recording."""
        key = self._request.finish_on_key
        if self.result is None and key and digit in key:
            self._finish("finish_key", self._samples)

    def stop(self, reason: StopReason = "stopped") -> RecordingDone:
        """End now (hang-up or an explicit stop); returns the (first) result."""
        if self.result is None:
            self._finish(reason, self._samples)
        assert self.result is not None
        return self.result

    def _finish(
        self,
        reason: Literal["max_duration", "silence", "finish_key", "hangup", "stopped"],
        keep_samples: int,
    ) -> None:
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)
        audio = audio[:keep_samples]
        self._chunks = []
        self.result = RecordingDone(audio, audio.size // SAMPLES_PER_MS, reason)
        if self._on_done is not None:
            self._on_done(self.result)
