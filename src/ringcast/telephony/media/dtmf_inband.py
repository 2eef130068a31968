"""In-band DTMF: a Goertzel-style detector and a tone generator.

Theory of operation: the 8 kHz signal is cut into overlapping windows of 102
samples (12.75 ms) every 51 samples. For each window the energy at the 8 DTMF
frequencies is what a Goertzel filter gives, computed for all windows of a
frame with one matrix product over 51-sample blocks (a window is two blocks,
the second turned by one hop's phase). A window is a
*hit* for digit (row, col) when:

- energy: both the strongest row and the strongest column tone are above
  `min_level_dbm0`;
- twist: the column (high) tone is at most `normal_twist_db` weaker and at most
  `reverse_twist_db` stronger than the row (low) tone;
- relative peak: every other row (column) frequency is `relative_peak_db`
  below the strongest one;
- purity: the two tones carry at least `min_tone_fraction` of the window's total
  energy. This is what rejects speech and music: voiced speech spreads energy
  over many harmonics, so two bins rarely hold most of it.

A digit is declared after enough consecutive hits to cover `min_duration_ms`
(with full windows only), once; it is released after a run of non-hits that
covers `min_gap_ms`, and only then can the next digit (even the same one) be
detected. `prime` feeds audio from before the detector was wanted: it builds
state without reporting, so a tone it completes is held as already reported.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from ringcast.telephony.channel import Pcm

SAMPLE_RATE = 8000
ROW_HZ = (697.0, 770.0, 852.0, 941.0)
COL_HZ = (1209.0, 1336.0, 1477.0, 1633.0)
KEYPAD = ("123A", "456B", "789C", "*0#D")

DBM0_PEAK = 22290.0
"""Peak amplitude of a 0 dBm0 sine in 16-bit linear (G.711 full scale is +3.17 dBm0)."""

_WINDOW = 102
_HOP = 51


def digit_frequencies(digit: str) -> tuple[float, float]:
    """(row Hz, column Hz) of a DTMF digit; raises `ValueError` for others."""
    for r, keys in enumerate(KEYPAD):
        c = keys.find(digit.upper()) if len(digit) == 1 else -1
        if c >= 0:
            return ROW_HZ[r], COL_HZ[c]
    raise ValueError(f"not a DTMF digit: {digit!r}")


def dtmf_tone(
    digit: str,
    duration_ms: int,
    *,
    level_dbm0: float = -7.0,
    twist_db: float = 0.0,
    frequency_offset: float = 0.0,
) -> Pcm:
    """A DTMF tone pair; `level_dbm0` per tone, column tone `twist_db` louder."""
    row, col = digit_frequencies(digit)
    t = np.arange(SAMPLE_RATE * duration_ms // 1000) / SAMPLE_RATE
    amp = DBM0_PEAK * 10 ** (level_dbm0 / 20)
    k = 1.0 + frequency_offset
    wave = amp * np.sin(2 * np.pi * row * k * t)
    wave += amp * 10 ** (twist_db / 20) * np.sin(2 * np.pi * col * k * t)
    return np.clip(np.round(wave), -32768, 32767).astype(np.int16)


_OMEGA = 2 * np.pi * np.array(ROW_HZ + COL_HZ) / SAMPLE_RATE
# A window is two consecutive hop-sized blocks, so its DFT at each frequency is
# the first block's plus the second's turned by the phase of one hop: each block
# is projected once, and windows overlap for free.
_BLOCK_BASIS: npt.NDArray[np.complex128] = np.exp(-1j * np.outer(np.arange(_HOP), _OMEGA))
_HOP_SHIFT: npt.NDArray[np.complex128] = np.exp(-1j * _OMEGA * _HOP)


class DtmfDetector:
    """Feed 8 kHz PCM of any frame size; calls `on_digit` once per digit."""

    def __init__(
        self,
        on_digit: Callable[[str], None],
        *,
        min_level_dbm0: float = -36.0,
        normal_twist_db: float = 8.0,
        reverse_twist_db: float = 4.0,
        relative_peak_db: float = 8.0,
        min_tone_fraction: float = 0.75,
        min_duration_ms: int = 40,
        min_gap_ms: int = 25,
    ) -> None:
        self._on_digit = on_digit
        amp = DBM0_PEAK * 10 ** (min_level_dbm0 / 20)
        self._min_energy = (amp * _WINDOW / 2) ** 2
        # Two tones at the minimum level put at least this much energy in a window:
        # below it (silence, quiet noise) the window cannot be a digit.
        self._min_total = 2 * (amp**2 / 2) * _WINDOW * 0.5
        self._normal_twist = 10 ** (-normal_twist_db / 10)
        self._reverse_twist = 10 ** (reverse_twist_db / 10)
        self._relative_peak = 10 ** (-relative_peak_db / 10)
        self._min_fraction = min_tone_fraction
        min_samples = SAMPLE_RATE * min_duration_ms // 1000
        # A tone of min_duration covers at least this many full windows.
        self._confirm_windows = max(1, (min_samples - _WINDOW) // _HOP)
        self._release_windows = max(2, SAMPLE_RATE * min_gap_ms // 1000 // _HOP)
        self._pending: Pcm = np.zeros(0, dtype=np.int16)
        self._candidate: str | None = None
        self._hits = 0
        self._active: str | None = None
        self._misses = 0

    def __call__(self, pcm: Pcm) -> None:
        self.feed(pcm)

    def prime(self, pcm: Pcm) -> None:
        """Feed audio heard before listening began, reporting nothing.

        A key that started in it is detected as soon as the live audio completes
        it; one complete in it is not reported again while it lasts.
        """
        on_digit, self._on_digit = self._on_digit, _ignore
        try:
            self.feed(pcm)
        finally:
            self._on_digit = on_digit

    def feed(self, pcm: Pcm) -> None:
        buf = np.concatenate((self._pending, pcm)) if self._pending.size else pcm
        blocks = buf.size // _HOP
        if blocks < 2:
            self._pending = buf.copy()
            return
        # keep the last full block: it is the first half of the next window
        self._pending = buf[(blocks - 1) * _HOP :].copy()
        x = buf[: blocks * _HOP].reshape(blocks, _HOP).astype(np.float64)
        block_energy = np.einsum("ij,ij->i", x, x)
        totals = block_energy[:-1] + block_energy[1:]
        if float(totals.max()) < self._min_total:
            for _ in range(blocks - 1):  # the cheap path for silence
                self._step(None)
            return
        c = x @ _BLOCK_BASIS
        window = c[:-1] + c[1:] * _HOP_SHIFT
        energy = (window.real**2 + window.imag**2).tolist()
        total_list = totals.tolist()
        for i in range(blocks - 1):
            self._step(self._classify(energy[i], total_list[i]))

    def _classify(self, energy: list[float], total: float) -> str | None:
        # Plain floats: for 8 values Python beats numpy's per-call overhead.
        rows, cols = energy[:4], energy[4:]
        row_e, col_e = max(rows), max(cols)
        if row_e < self._min_energy or col_e < self._min_energy:
            return None
        if col_e < row_e * self._normal_twist or col_e > row_e * self._reverse_twist:
            return None
        if 2 * (row_e + col_e) < self._min_fraction * _WINDOW * total:
            return None
        r, c = rows.index(row_e), cols.index(col_e)
        row_limit, col_limit = row_e * self._relative_peak, col_e * self._relative_peak
        for i in range(4):
            if (i != r and rows[i] > row_limit) or (i != c and cols[i] > col_limit):
                return None
        return KEYPAD[r][c]

    def _step(self, digit: str | None) -> None:
        if self._active is not None:
            if digit == self._active:
                self._misses = 0
                return
            self._misses += 1
            if self._misses >= self._release_windows:
                self._active = None
                self._candidate, self._hits = None, 0
            return
        if digit is not None and digit == self._candidate:
            self._hits += 1
        else:
            self._candidate, self._hits = digit, (1 if digit is not None else 0)
        if self._candidate is not None and self._hits >= self._confirm_windows:
            self._active, self._misses = self._candidate, 0
            self._on_digit(self._candidate)


def _ignore(digit: str) -> None:
    pass
