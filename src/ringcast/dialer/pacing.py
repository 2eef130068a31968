"""Calls-per-second pacing: a smooth token bucket with no burst allowance.

Theory of operation. Each bucket hands out start *slots* spaced exactly
1/rate seconds apart; it holds at most one token, so an idle bucket never
saves up a burst. A call that must respect several limits (the program's and
the trunk's) takes the first instant free in all of them and books that slot
in each. Times are plain seconds from any monotonic origin.
"""

from __future__ import annotations

from collections.abc import Sequence


class SmoothBucket:
    def __init__(self, rate_per_second: float) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate must be positive")
        self.interval_s = 1.0 / rate_per_second
        self._next_free_s: float | None = None

    def next_free(self, now_s: float) -> float:
        if self._next_free_s is None:
            return now_s
        return max(now_s, self._next_free_s)

    def book(self, start_s: float) -> None:
        self._next_free_s = start_s + self.interval_s

    def slots_within(self, now_s: float, horizon_s: float) -> int:
        """How many starts this bucket can give in [now, now + horizon)."""
        first = self.next_free(now_s)
        if first >= now_s + horizon_s:
            return 0
        return 1 + int((now_s + horizon_s - first - 1e-9) / self.interval_s)


def reserve(buckets: Sequence[SmoothBucket], now_s: float) -> float:
    """Book the first slot free in every bucket; return its start time."""
    start = now_s
    # the max of next-free instants is free in all of them (each only moves forward)
    for bucket in buckets:
        start = max(start, bucket.next_free(now_s))
    for bucket in buckets:
        bucket.book(start)
    return start
