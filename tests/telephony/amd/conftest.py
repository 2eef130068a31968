"""Synthetic call audio for the AMD tests: silence, line noise, tones, DTMF, speech.

"Speech" is a harmonic series on a wobbling 140 Hz fundamental, amplitude
modulated at a syllable rate: webrtcvad takes every frame of it for speech,
so timelines built from it have known speech/silence boundaries to 20 ms.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from ringcast.telephony.channel import AmdSettings

RATE = 8000

RULES = AmdSettings(
    initial_silence_ms=2500,
    greeting_ms=1500,
    greeting_span_ms=4500,
    after_greeting_silence_ms=800,
    total_analysis_ms=5000,
    maximum_words=3,
)
"""The rules are tested against fixed thresholds (the Asterisk-style values), not
against whatever the shipped defaults are."""
Floats = npt.NDArray[np.float64]


class Signals:
    """Builders returning float sample arrays; `pcm` joins and converts them."""

    def __init__(self) -> None:
        self._rng = np.random.default_rng(1234)

    @staticmethod
    def n(ms: int) -> int:
        return ms * RATE // 1000

    def silence(self, ms: int) -> Floats:
        return np.zeros(self.n(ms))

    def noise(self, ms: int, dbfs: float = -50.0) -> Floats:
        return self._rng.standard_normal(self.n(ms)) * 10 ** (dbfs / 20) * 32768

    def tone(self, ms: int, hz: float, dbfs: float = -12.0) -> Floats:
        t = np.arange(self.n(ms)) / RATE
        return np.sin(2 * np.pi * hz * t) * 10 ** (dbfs / 20) * 32768 * np.sqrt(2)

    def dtmf(self, digit: str, ms: int = 200, dbfs: float = -12.0) -> Floats:
        low = {
            "1": 697,
            "2": 697,
            "3": 697,
            "4": 770,
            "5": 770,
            "6": 770,
            "7": 852,
            "8": 852,
            "9": 852,
            "*": 941,
            "0": 941,
            "#": 941,
        }[digit]
        high = {
            "1": 1209,
            "4": 1209,
            "7": 1209,
            "*": 1209,
            "2": 1336,
            "5": 1336,
            "8": 1336,
            "0": 1336,
            "3": 1477,
            "6": 1477,
            "9": 1477,
            "#": 1477,
        }[digit]
        return self.tone(ms, low, dbfs - 3) + self.tone(ms, high, dbfs - 3)

    def speech(self, ms: int, dbfs: float = -20.0, f0: float = 140.0) -> Floats:
        t = np.arange(self.n(ms)) / RATE
        phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.05 * np.sin(2 * np.pi * 3 * t))) / RATE
        x = sum((1 / k) * np.sin(k * phase) for k in range(1, 25) if k * f0 < 3400)
        x = np.asarray(x) * (0.7 + 0.3 * np.cos(2 * np.pi * 4 * t))
        return x / np.sqrt(np.mean(x**2)) * 10 ** (dbfs / 20) * 32768

    def words(self, count: int, word_ms: int, gap_ms: int) -> Floats:
        parts: list[Floats] = []
        for i in range(count):
            if i:
                parts.append(self.silence(gap_ms))
            parts.append(self.speech(word_ms))
        return np.concatenate(parts)

    @staticmethod
    def pcm(*parts: Floats) -> npt.NDArray[np.int16]:
        x = np.concatenate(parts)
        return np.clip(np.round(x), -32768, 32767).astype(np.int16)

    @staticmethod
    def frames(pcm: npt.NDArray[np.int16]) -> list[npt.NDArray[np.int16]]:
        return [pcm[i : i + 160] for i in range(0, pcm.size - 159, 160)]


@pytest.fixture
def sig() -> Signals:
    return Signals()
