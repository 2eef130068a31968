"""Calls-per-second pacing: a token bucket on real elapsed time, smooth within the second.

Theory of operation. Each bucket hands out start *slots* spaced exactly
1/rate seconds apart on a virtual schedule. A tick asks how many slots fall
in the horizon up to its successor (`slots_within`); a call that must respect
several limits (the program's and the trunk's) books the first slot free in
all of them (`reserve`) and starts at that slot, or at once if it is already
past.

A tick lasts its sleep *plus* its own work, so the next tick often comes
after the horizon it was granted. The slots in that uncovered gap are owed,
not lost: when the previous grant was used up (the pacing, not the demand,
was the limit), the schedule may lag `now` by up to `catch_up_s` and those
slots are granted at the next tick (bounded catch-up). When demand did not use
the grant (idle, concurrency-bound) the unused slots are forfeit, so an idle
bucket never saves up a burst. Times are plain seconds from a monotonic
origin.
"""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_CATCH_UP_S = 1.0


class SmoothBucket:
    def __init__(self, rate_per_second: float, catch_up_s: float = DEFAULT_CATCH_UP_S) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate must be positive")
        self.interval_s = 1.0 / rate_per_second
        self.catch_up_s = catch_up_s
        self._next_free_s: float | None = None
        self._granted_until_s: float | None = None  # end of the last tick's horizon
        self._floor_s: float | None = None  # the first slot the last grant counted

    def next_free(self, now_s: float) -> float:
        """The first bookable slot: in the past only for slots the last grant owed."""
        if self._next_free_s is None:
            return now_s
        floor = now_s if self._floor_s is None else min(now_s, self._floor_s)
        return max(self._next_free_s, floor)

    def book(self, start_s: float) -> None:
        self._next_free_s = start_s + self.interval_s

    def slots_within(self, now_s: float, horizon_s: float) -> int:
        """How many starts this bucket grants in [now, now + horizon] (owed ones included).

        The horizon's end is included: the next tick, due then, finds that slot booked."""
        first = self._grant_floor(now_s)
        end = now_s + horizon_s
        self._floor_s, self._granted_until_s = first, end
        if first > end + 1e-9:
            return 0
        return 1 + int((end - first + 1e-9) / self.interval_s)

    def _grant_floor(self, now_s: float) -> float:
        nxt, granted = self._next_free_s, self._granted_until_s
        if nxt is None:
            return now_s
        if granted is not None and nxt >= granted - 1e-9:
            return max(nxt, now_s - self.catch_up_s)  # the last grant was used up: owed
        return max(nxt, now_s)  # demand left slots unused: forfeit, no saved-up burst


def reserve(buckets: Sequence[SmoothBucket], now_s: float) -> float:
    """Book the first slot free in every bucket; return it (start at max(it, now))."""
    start = max(bucket.next_free(now_s) for bucket in buckets) if buckets else now_s
    # the max of next-free instants is free in all of them (each only moves forward)
    for bucket in buckets:
        bucket.book(start)
    return start
