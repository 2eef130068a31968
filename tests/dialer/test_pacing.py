from __future__ import annotations

import itertools
import random

from ringcast.dialer.pacing import SmoothBucket, reserve


def test_ten_cps_never_starts_two_calls_within_100_ms():
    bucket = SmoothBucket(10)
    rng = random.Random(7)
    now = 0.0
    starts = []
    for _ in range(300):
        now += rng.choice([0.0, 0.0, 0.01, 0.05, 0.3])  # bursts of demand and idle gaps
        starts.append(reserve([bucket], now))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.1 - 1e-9
    assert all(s >= 0 for s in starts)


def test_idle_bucket_does_not_save_up_a_burst():
    bucket = SmoothBucket(10)
    reserve([bucket], 0.0)
    starts = [reserve([bucket], 60.0) for _ in range(5)]
    assert starts == [60.0, 60.1, 60.2, 60.3, 60.4] or all(
        abs(a - b) < 1e-9 for a, b in zip(starts, [60.0, 60.1, 60.2, 60.3, 60.4], strict=True)
    )


def test_the_slowest_bucket_sets_the_pace():
    program, trunk = SmoothBucket(10), SmoothBucket(4)
    starts = [reserve([program, trunk], 0.0) for _ in range(4)]
    assert [round(s, 6) for s in starts] == [0.0, 0.25, 0.5, 0.75]


def test_slots_within_horizon():
    bucket = SmoothBucket(10)
    assert bucket.slots_within(0.0, 0.25) == 3  # 0.0, 0.1, 0.2
    reserve([bucket], 0.0)
    assert bucket.slots_within(0.0, 0.25) == 2  # 0.1, 0.2
    assert bucket.slots_within(0.0, 0.05) == 0
