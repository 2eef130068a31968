"""Join clips into one without clicks.

A click is a step discontinuity: clip A ends mid-wave at +12000, clip B starts
at -8000, and the speaker jumps. Each clip gets a short linear fade (default
4 ms = 32 samples) at both ends, so every joint passes through zero; the ramp
is too short to hear as a fade but bounds the step at a joint to
`peak / fade_samples` plus the signal's own slope. An optional silent gap
separates words (dictionary clips are trimmed tight; a few tens of ms between
"twenty" and "three" sounds natural).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ringcast.audio.clip import SAMPLE_RATE, Clip
from ringcast.audio.g711 import Pcm


def _fade_in_place(segment: Pcm, ramp: npt.NDArray[np.float32]) -> None:
    n = min(len(ramp), len(segment) // 2)
    if n:
        up = ramp if n == len(ramp) else (np.arange(n) / n).astype(np.float32)
        segment[:n] = np.rint(segment[:n] * up)
        segment[-n:] = np.rint(segment[-n:] * up[::-1])


def join_pcm(parts: Sequence[Pcm], *, fade_ms: int = 4, gap_ms: int = 0) -> Pcm:
    """Concatenate PCM arrays, fading each one's ends and adding `gap_ms` between them.

    One output array is allocated and each part copied once; the fades touch
    only the first and last `fade_ms` of each part, so joining a long prompt
    costs a memcpy.
    """
    fade = fade_ms * SAMPLE_RATE // 1000
    gap = gap_ms * SAMPLE_RATE // 1000
    total = sum(len(p) for p in parts) + gap * max(0, len(parts) - 1)
    out = np.zeros(total, dtype=np.int16)
    ramp = (np.arange(fade) / max(fade, 1)).astype(np.float32)  # starts at 0: no step
    at = 0
    for i, part in enumerate(parts):
        if i:
            at += gap
        segment = out[at : at + len(part)]
        segment[:] = part
        _fade_in_place(segment, ramp)
        at += len(part)
    return out


def join_clips(clips: Sequence[Clip], *, fade_ms: int = 4, gap_ms: int = 0) -> Clip:
    """One clip playing `clips` back to back, click-free at every joint."""
    if len(clips) == 1 and fade_ms == 0:
        return clips[0]
    return Clip(join_pcm([c.pcm for c in clips], fade_ms=fade_ms, gap_ms=gap_ms))
