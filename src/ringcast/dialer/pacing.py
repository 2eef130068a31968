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
slots are granted at the next tick (bounded catch-up). Owed slots are not
started all at once: starts stay at least 1/(rate x `catch_up_rate`) apart, so
a loop that stalled for a second repays it at twice the rate over the next
second instead of sending a second's INVITEs in one burst (issue 19: at 300
CPS a stalled dialer's owed 300 left within 100 ms, its media workers fell
behind, overload control stopped the claims, and the next stall came sooner).
When demand did not use the grant (idle, concurrency-bound) the unused slots
are forfeit, so an idle bucket never saves up a burst. Times are plain seconds
from a monotonic origin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

DEFAULT_CATCH_UP_S = 1.0
DEFAULT_CATCH_UP_RATE = 2.0  # owed slots are repaid at up to this multiple of the rate


class SmoothBucket:
    def __init__(
        self,
        rate_per_second: float,
        catch_up_s: float = DEFAULT_CATCH_UP_S,
        catch_up_rate: float = DEFAULT_CATCH_UP_RATE,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate must be positive")
        if catch_up_rate <= 1:
            raise ValueError("catch_up_rate must be above 1 (else no debt is ever repaid)")
        self.interval_s = 1.0 / rate_per_second
        self.peak_interval_s = self.interval_s / catch_up_rate
        self.catch_up_s = catch_up_s
        self._next_free_s: float | None = None  # the schedule: the next slot (may lag)
        self._granted_until_s: float | None = None  # end of the last tick's horizon
        self._floor_s: float | None = None  # the first slot the last grant counted
        self._granted = 0  # starts the last grant counted
        self._booked = 0  # starts booked since
        self._last_start_s: float | None = None  # when the last booked call really starts
        self._asked_s: float | None = None  # `now` of the last `next_free`
        # its (schedule slot, latest on-time start): a start at the asked `now` is as
        # early as any past slot, so the bound is max(answer, now)
        self._offered: tuple[float, float] | None = None

    def next_free(self, now_s: float) -> float:
        """The first bookable instant: in the past only for slots the last grant owed,
        and never closer than the catch-up spacing to the last start."""
        self._asked_s = now_s
        if self._next_free_s is None:
            self._offered = (now_s, now_s)
            return now_s
        floor = now_s if self._floor_s is None else min(now_s, self._floor_s)
        slot = max(self._next_free_s, floor)
        answer = slot
        if self._last_start_s is not None:
            answer = max(slot, self._last_start_s + self.peak_interval_s)
        self._offered = (slot, max(answer, now_s))
        return answer

    def book(self, start_s: float) -> None:
        """A call starts at `start_s` (or at once, if that is past). Booked at what
        `next_free` offered, it takes the schedule's slot, owed or not, so a debt
        started at the catch-up spacing is still owed; booked later (a slower bucket
        set the pace) it takes the slot at `start_s`. A start at the `now` that was
        asked is as early as any past slot: an owed slot booked "now" because another
        bucket (a trunk's, which forfeits what its grant left unused) allowed nothing
        earlier is still taken from the schedule, not forfeit (measured: the program's
        bucket lost ~1 % of its slots to a 1000 CPS trunk's at jittery ticks)."""
        offered, self._offered = self._offered, None
        if offered is not None and start_s <= offered[1] + 1e-9:
            self._next_free_s = offered[0] + self.interval_s
        else:
            self._next_free_s = start_s + self.interval_s
        asked = self._asked_s
        self._last_start_s = start_s if asked is None else max(start_s, asked)
        self._booked += 1

    def slots_within(self, now_s: float, horizon_s: float) -> int:
        """How many starts this bucket grants in [now, now + horizon] (owed ones included,
        at the catch-up spacing).

        The horizon's end is included: the next tick, due then, finds that slot booked."""
        first = self._grant_floor(now_s)
        end = now_s + horizon_s
        self._floor_s, self._granted_until_s = first, end
        self._granted = self._count(first, now_s, end)
        self._booked = 0
        return self._granted

    def _count(self, first: float, now_s: float, end: float) -> int:
        interval, peak = self.interval_s, self.peak_interval_s
        start = max(first, now_s)  # the first call's real start
        if self._last_start_s is not None:
            start = max(start, self._last_start_s + peak)
        if start > end + 1e-9:
            return 0
        # while the schedule lags, starts are `peak` apart from `start`; from the
        # `owed`-th on, the schedule (first + k x interval) is ahead again
        owed = 0
        if start > first + 1e-9:
            owed = math.ceil((start - first) / (interval - peak) - 1e-9)
        catching_up = 1 + int((end - start + 1e-9) / peak)
        if catching_up < owed:
            return catching_up
        return max(owed, 1 + int((end - first + 1e-9) / interval))

    def _grant_floor(self, now_s: float) -> float:
        nxt, granted = self._next_free_s, self._granted_until_s
        if nxt is None:
            return now_s
        used_up = granted is not None and nxt >= granted - 1e-9
        if used_up or (self._granted and self._booked >= self._granted):
            return max(nxt, now_s - self.catch_up_s)  # the last grant was used up: owed
        return max(nxt, now_s)  # demand left slots unused: forfeit, no saved-up burst


def reserve(buckets: Sequence[SmoothBucket], now_s: float) -> float:
    """Book the first slot free in every bucket; return it (start at max(it, now))."""
    start = max(bucket.next_free(now_s) for bucket in buckets) if buckets else now_s
    # the max of next-free instants is free in all of them (each only moves forward)
    for bucket in buckets:
        bucket.book(start)
    return start
