"""Per-frame speech decision: webrtcvad, gated by energy above the noise floor.

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

from dataclasses import dataclass

import numpy as np
import webrtcvad

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


class SpeechFrames:
    """Classifies consecutive 20 ms frames as speech or not, causally."""

    def __init__(
        self,
        *,
        vad_mode: int = 2,
        margin_db: float = 6.0,
        min_mean_abs: float = 32.0,
        floor_rise_db_per_s: float = 6.0,
        initial_floor_cap_db: float = 60.0,
    ) -> None:
        self._cap_db = initial_floor_cap_db
        self._vad = webrtcvad.Vad(vad_mode)
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
        mean_abs = float(np.mean(np.abs(samples)))
        energy_db = 10 * float(np.log10(float(np.mean(samples**2)) + 1.0))
        if self._floor_db is None:
            floor = min(energy_db, self._cap_db)
        else:
            floor = min(energy_db, self._floor_db + self._rise_db)
        self._floor_db = floor
        vad = bool(self._vad.is_speech(frame.astype("<i2").tobytes(), RATE))
        speech = vad and mean_abs >= self._min_mean_abs and energy_db >= floor + self._margin_db
        return FrameInfo(speech, vad, energy_db, floor, mean_abs)
