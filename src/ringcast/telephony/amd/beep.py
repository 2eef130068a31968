"""Voicemail-beep detector: one pure tone, 400-2000 Hz, held for at least 200 ms.

Each 20 ms frame is analysed together with the one before it (a 40 ms Hann
window, 25 Hz bins, main lobe ±50 Hz): the spectral peak must sit in the beep
band, hold at least `min_purity` of the frame's energy within ±`_PEAK_HZ` of
it (a tone does; voiced speech spreads over several harmonics and formants;
a DTMF digit splits evenly over two tones), be loud enough, and stay at the
same frequency (±`max_drift_hz`) frame after frame. Once `min_ms` of such
frames have run back to back the beep is *confirmed*; `feed` returns True for
every frame of a confirmed beep, so the first False after a True is the end
of the beep — which is what waitForBeep needs (the machine records after it).
"""

from __future__ import annotations

import numpy as np

from ringcast.telephony.channel import Pcm

FRAME_MS = 20
_RATE = 8000
_WINDOW = np.hanning(2 * _RATE * FRAME_MS // 1000)
_FREQS = np.fft.rfftfreq(_WINDOW.size, 1 / _RATE)
_BIN_HZ = float(_FREQS[1])
_PEAK_HZ = 60.0  # the Hann main lobe of a 40 ms window is ±50 Hz


class BeepDetector:
    """Feed consecutive 20 ms frames; True while a confirmed beep is sounding."""

    def __init__(
        self,
        *,
        min_hz: float = 400.0,
        max_hz: float = 2000.0,
        min_ms: int = 200,
        min_purity: float = 0.8,
        max_drift_hz: float = 20.0,
        min_level_dbfs: float = -45.0,
    ) -> None:
        self._min_hz, self._max_hz = min_hz, max_hz
        self._min_frames = max(1, -(-min_ms // FRAME_MS))
        self._min_purity = min_purity
        self._max_drift_hz = max_drift_hz
        self._min_power = (10 ** (min_level_dbfs / 20) * 32768) ** 2
        self._previous = np.zeros(_WINDOW.size // 2)
        self._run_frames = 0
        self._run_hz = 0.0
        self.tone_hz: float | None = None
        """Frequency of the beep being confirmed or sounding, else None."""

    @property
    def confirmed(self) -> bool:
        """A beep has lasted `min_ms` and is still sounding."""
        return self._run_frames >= self._min_frames

    @property
    def tone_ms(self) -> int:
        """How long the current tone-like run has lasted."""
        return self._run_frames * FRAME_MS

    def _peak(self, frame: Pcm) -> float | None:
        """The frame's tone frequency, or None if it is not one loud pure tone."""
        current = frame.astype(np.float64)
        window = np.concatenate([self._previous, current]) * _WINDOW
        self._previous = current
        if float(np.mean(current**2)) < self._min_power:
            return None
        power = np.abs(np.fft.rfft(window)) ** 2
        k = int(np.argmax(power[1:-1])) + 1
        # Parabolic interpolation on log power puts the peak within a few Hz.
        a, b, c = np.log(power[k - 1 : k + 2] + 1e-12)
        denom = a - 2 * b + c
        hz = (k + (0.5 * (a - c) / denom if denom < 0 else 0.0)) * _BIN_HZ
        # Half a bin of slack: interpolation puts a 400 Hz tone at 399.x Hz.
        if not self._min_hz - _BIN_HZ / 2 <= hz <= self._max_hz + _BIN_HZ / 2:
            return None
        near = np.abs(_FREQS - hz) <= _PEAK_HZ
        purity = float(power[near].sum() / power.sum())
        return hz if purity >= self._min_purity else None

    def feed(self, frame: Pcm) -> bool:
        hz = self._peak(frame)
        if hz is None:
            self._run_frames = 0
            self.tone_hz = None
            return False
        if self._run_frames and abs(hz - self._run_hz) <= self._max_drift_hz:
            self._run_frames += 1
        else:
            self._run_frames = 1
            self._run_hz = hz
        self.tone_hz = self._run_hz
        return self.confirmed
