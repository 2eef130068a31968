"""Pause windows: when a program must not start calls, in its own time zone.

Theory of operation. A program has weekly windows (per weekday, local wall
clock, minute precision) and `advanced` absolute ranges (holidays). A window
whose end is not after its start runs overnight: Monday 22:00→06:00 pauses
from Monday 22:00 to Tuesday 06:00 local. An instant is *paused* when any
window covers it (start inclusive, end exclusive), compared on the local wall
clock, so DST needs no special case: on a spring-forward day the missing hour
simply never shows on the clock, and on a fall-back day the repeated hour is
paused both times if a window covers it.

`next_allowed(at)` jumps to the end of a covering window and repeats until
nothing covers the instant. A window end that falls in a spring-forward gap
does not exist on the clock; the jump lands past the gap and then steps back
to the first instant the clock reads at or after the end (the transition).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_JUMPS = 1000


class NoAllowedTimeError(Exception):
    """The windows cover every instant: nobody could ever be called."""


@dataclass(frozen=True, slots=True)
class DailyWindow:
    start_minute: int  # minutes after local midnight
    end_minute: int  # <= start_minute: ends the next day

    @property
    def overnight(self) -> bool:
        return self.end_minute <= self.start_minute


@dataclass(frozen=True, slots=True)
class PauseWindows:
    timezone: ZoneInfo
    weekly: Mapping[int, Sequence[DailyWindow]] = field(default_factory=dict)
    advanced: Sequence[tuple[datetime, datetime]] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any], timezone: str) -> PauseWindows:
        """From the API's `pauseWindows` object (already validated)."""
        weekly: dict[int, list[DailyWindow]] = {}
        for index, day in enumerate(WEEKDAYS):
            for item in data.get(day) or []:
                start, end = item["startAt"], item["endAt"]
                weekly.setdefault(index, []).append(
                    DailyWindow(
                        start["hour"] * 60 + start["minute"], end["hour"] * 60 + end["minute"]
                    )
                )
        advanced = [
            (_parse_utc(item["startAt"]), _parse_utc(item["endAt"]))
            for item in data.get("advanced") or []
        ]
        return cls(ZoneInfo(timezone), weekly, tuple(advanced))

    def paused_at(self, at: datetime) -> bool:
        return self._covering_end(at) is not None

    def next_allowed(self, at: datetime) -> datetime:
        """The first instant at or after `at` outside every window."""
        for _ in range(MAX_JUMPS):
            end = self._covering_end(at)
            if end is None:
                return at
            at = end
        raise NoAllowedTimeError("pause windows leave no time to call")

    # ---- internals -------------------------------------------------------

    def _covering_end(self, at: datetime) -> datetime | None:
        """The latest end among the windows covering `at` (UTC), or None."""
        ends = [end for start, end in self.advanced if start <= at < end]
        local = at.astimezone(self.timezone)
        minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        today = local.date()
        weekday = local.weekday()
        for window in self.weekly.get(weekday, ()):
            if window.overnight and minute >= window.start_minute:
                ends.append(self._wall_end(today + timedelta(days=1), window.end_minute, at))
            elif not window.overnight and window.start_minute <= minute < window.end_minute:
                ends.append(self._wall_end(today, window.end_minute, at))
        for window in self.weekly.get((weekday - 1) % 7, ()):
            if window.overnight and minute < window.end_minute:
                ends.append(self._wall_end(today, window.end_minute, at))
        return max(ends) if ends else None

    def _wall_end(self, day: date, end_minute: int, after: datetime) -> datetime:
        """The first UTC instant after `after` whose local wall clock reads >= the end."""
        naive = datetime.combine(day, time(end_minute // 60, end_minute % 60))
        first = naive.replace(tzinfo=self.timezone).astimezone(UTC)
        if first.astimezone(self.timezone).replace(tzinfo=None) == naive:
            # the end shows on the clock; twice on a fall-back day: the first
            # occurrence still ahead of us
            second = naive.replace(tzinfo=self.timezone, fold=1).astimezone(UTC)
            return first if first > after else second
        # in a spring-forward gap: fold=0 maps past the gap; step back to the jump
        step = timedelta(minutes=1)
        while (first - step).astimezone(self.timezone).replace(tzinfo=None) >= naive:
            first -= step
        return first


def _parse_utc(value: str | datetime) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("advanced pause window timestamps must carry a zone")
    return parsed.astimezone(UTC)
