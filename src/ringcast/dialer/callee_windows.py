"""Pause windows read in each callee's own time zones (a program's timezoneMode "contact").

Theory of operation. The program's windows (weekly wall-clock windows, and
the absolute `advanced` ranges, which mean the same instants everywhere) are
re-read in every zone the callee's number may ring in (`callee_zones`). A
callee may be called at an instant only when no zone's windows cover it: the
compliant reading when a number spans zones (a US toll-free number, an
Australian mobile). `next_allowed` moves to the latest of the zones' next
openings and repeats until they agree, so it never skips a shared opening. A
number no zone is known for is read in the program's own zone.

Zones may share no allowed instant at all (the NANP-wide list of a toll-free
number runs from Guam to Hawaii): the search gives up a year past the last
`advanced` range (DST can open a shared hour only part of the year) and
raises `NoAllowedTimeError`; the answer is remembered per zone list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ringcast.dialer.callee_zones import zones_for_number
from ringcast.scheduling.windows import NoAllowedTimeError, PauseWindows

HORIZON = timedelta(days=366)
MAX_ROUNDS = 5000

Screen = Callable[[str | None], datetime | None]
"""A candidate's phone (None: contact deleted) → None to call it now, or when to defer it to."""


class CalleeWindows:
    def __init__(self, windows: PauseWindows) -> None:
        self.windows = windows
        self._per_zones: dict[tuple[str, ...], tuple[PauseWindows, ...]] = {}
        self._never: set[tuple[str, ...]] = set()

    def next_allowed(self, number: str | None, at: datetime) -> datetime:
        """The first instant at or after `at` allowed in every zone of the number."""
        zones = zones_for_number(number) if number else ()
        return self._next_allowed(zones, at)

    def never(self, number: str) -> bool:
        """Whether a claim found the number's zones share no allowed time (never called)."""
        return zones_for_number(number) in self._never

    def screen(self, now: datetime) -> Screen:
        """The claim's test for one batch at `now`; callees sharing zones share the answer."""
        answers: dict[tuple[str, ...], datetime | None] = {}

        def screen(number: str | None) -> datetime | None:
            if number is None:
                return None  # deleted since launch: claimed, and cancelled without a call
            zones = zones_for_number(number)
            if zones not in answers:
                try:
                    opening = self._next_allowed(zones, now)
                except NoAllowedTimeError:
                    opening = now  # claimed; the dialer cancels it without a call
                answers[zones] = None if opening <= now else opening
            return answers[zones]

        return screen

    # ---- internals -------------------------------------------------------

    def _next_allowed(self, zones: tuple[str, ...], at: datetime) -> datetime:
        if zones in self._never:
            raise NoAllowedTimeError("the callee's time zones share no time to call")
        per_zone = self._windows_in(zones)
        advanced_ends = [end for _, end in self.windows.advanced]
        give_up = max([at, *advanced_ends]) + HORIZON
        try:
            for _ in range(MAX_ROUNDS):
                latest = max(w.next_allowed(at) for w in per_zone)
                if latest == at:
                    return at
                if latest > give_up:
                    break
                at = latest
        except NoAllowedTimeError:
            pass
        self._never.add(zones)
        raise NoAllowedTimeError("the callee's time zones share no time to call")

    def _windows_in(self, zones: tuple[str, ...]) -> tuple[PauseWindows, ...]:
        found = self._per_zones.get(zones)
        if found is None:
            if zones:
                found = tuple(replace(self.windows, timezone=ZoneInfo(z)) for z in zones)
            else:
                found = (self.windows,)
            self._per_zones[zones] = found
        return found
