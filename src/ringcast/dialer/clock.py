"""Time as a dependency: the dialer's logic never reads the wall clock itself.

`SystemClock` is the real one; `FakeClock` is the stub tests drive by hand
(its `sleep` advances time instantly, so a paced loop runs in no real time).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC now."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never jump (pacing runs on these)."""

    async def sleep_until(self, at: datetime) -> None:
        """Return at (or just after) `at`; at once if it is past."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep_until(self, at: datetime) -> None:
        await asyncio.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()))


class FakeClock:
    """A clock that only moves when told to, or when something sleeps on it.

    `sleep_until(at)` moves time forward to `at` (never back), so concurrent
    sleepers each wake at their own instant and time never overshoots.
    """

    def __init__(self, start: datetime) -> None:
        self._now = self._start = start
        self.wakes: list[datetime] = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return (self._now - self._start).total_seconds()

    def set(self, at: datetime) -> None:
        self._now = at

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now

    async def sleep_until(self, at: datetime) -> None:
        self.wakes.append(at)
        self._now = max(self._now, at)
        await asyncio.sleep(0)
