"""join_clips: no clicks at joints (a bounded sample-to-sample step), lengths, gaps."""

from __future__ import annotations

import numpy as np
import pytest

from ringcast.audio import Clip, join_clips, join_pcm


def steps(pcm: np.ndarray) -> np.ndarray:
    return np.abs(np.diff(pcm.astype(np.int32)))


def test_worst_case_joint_is_softened() -> None:
    # DC at +20000 then DC at -20000: butt-joined, a 40000 step (a loud click)
    high = Clip(np.full(800, 20000, dtype=np.int16))
    low = Clip(np.full(800, -20000, dtype=np.int16))
    raw = np.concatenate([high.pcm, low.pcm])
    assert steps(raw).max() == 40000
    joined = join_clips([high, low, high])
    assert len(joined) == 2400
    # a 4 ms (32-sample) ramp from 0: each step at most peak / 32, rounding included
    assert steps(joined.pcm).max() <= 20000 // 32 + 1
    assert joined.pcm[0] == 0 and joined.pcm[-1] == 0  # outer ends faded too


@pytest.mark.parametrize("phase", [0.3, 1.2, 2.5])
def test_sine_joints_stay_within_the_signal_slope(phase: float) -> None:
    t = np.arange(1000) / 8000
    a = (12000 * np.sin(2 * np.pi * 150 * t + phase)).astype(np.int16)
    b = (12000 * np.sin(2 * np.pi * 150 * t + phase + 2)).astype(np.int16)
    own = max(steps(a).max(), steps(b).max())
    joined = join_pcm([a, b])
    joint = steps(joined[995:1005]).max()
    assert joint <= own + 12000 // 32 + 1
    assert steps(np.concatenate([a, b])[995:1005]).max() > joint  # the raw joint was worse


def test_gap_and_middle_untouched() -> None:
    a = np.full(400, 1000, dtype=np.int16)
    joined = join_pcm([a, a], gap_ms=10)
    assert len(joined) == 880
    assert np.all(joined[400:480] == 0)
    assert np.all(joined[40:360] == 1000)  # only the ends are faded


def test_tiny_and_empty_parts() -> None:
    assert len(join_pcm([])) == 0
    assert len(join_pcm([np.array([5], dtype=np.int16), np.zeros(0, dtype=np.int16)])) == 1
