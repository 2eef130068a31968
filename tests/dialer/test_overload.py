"""Overload control in the dialer: a full process claims nothing; the jobs wait."""

from __future__ import annotations

import asyncio

import pytest

from dialer.dialer_kit import BlockedLauncher, clock_now, dialer, execution, launch, tick
from ringcast.dialer.launcher import CallPlan, CallResult
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.overload import OverloadConfig, OverloadGuard


class GuardedLauncher(BlockedLauncher):
    """Blocked calls counted by an `OverloadGuard`, as the SIP launcher counts them."""

    def __init__(self, guard: OverloadGuard) -> None:
        super().__init__()
        self.guard = guard

    def room(self) -> int | None:
        return self.guard.room()

    async def launch(self, plan: CallPlan) -> CallResult:
        self.guard.enter()
        try:
            return await super().launch(plan)
        finally:
            self.guard.leave()


async def test_the_process_cap_holds_jobs_pending_and_they_start_when_room_comes(api):
    _, eid = await launch(api, contacts=6, dids=1, maxConcurrentCalls=50, callsPerSecond=100)
    clock = clock_now()
    launcher = GuardedLauncher(OverloadGuard(OverloadConfig(max_calls=2, max_late_ms=None)))
    d = dialer(api, launcher, clock)
    await d.run_once(clock.now())
    await launcher.started(2)
    for _ in range(3):  # full: nothing more is claimed, tick after tick
        await d.run_once(clock.advance(1))
        await asyncio.sleep(0.01)
    assert len(launcher.plans) == 2
    state = await execution(api, eid)
    assert state["contactsInProgress"] == 2
    assert state["status"] == "running"
    launcher.release.set()  # room again: the held jobs start, none failed
    for _ in range(6):
        await tick(d, clock, 1)
    await d.drain()
    for _ in range(3):
        await tick(d, clock, 1)
    state = await execution(api, eid)
    assert len(launcher.plans) == 6
    assert state["status"] == "completed"
    assert state["contactsFailed"] == 0


async def test_a_late_media_clock_claims_nothing(api):
    await launch(api, contacts=3, dids=1, maxConcurrentCalls=50, callsPerSecond=100)
    clock = clock_now()
    media = MediaClock()
    media.stats.recent_late_ms = 80.0  # the last second's ticks were 80 ms late on average
    guard = OverloadGuard(OverloadConfig(max_calls=None, max_late_ms=40.0), media)
    launcher = GuardedLauncher(guard)
    d = dialer(api, launcher, clock)
    for _ in range(3):
        await d.run_once(clock.advance(1))
        await asyncio.sleep(0.01)
    assert launcher.plans == []
    assert guard.reason() == "media_clock_late"
    assert d.held_s == pytest.approx(0.2 + 1.0 + 1.0)  # each tick's length (the first: tick_s)
    media.stats.recent_late_ms = 2.0
    launcher.release.set()
    await tick(d, clock, 1)
    assert len(launcher.plans) == 3


def test_overload_state_reaches_metrics_and_health_through_the_dialer_file():
    from prometheus_client import generate_latest

    from ringcast.dialer.metrics import overload_state, registry_for

    media = MediaClock()
    guard = OverloadGuard(OverloadConfig(max_calls=2, max_late_ms=40.0), media)
    registry = registry_for(media, None, guard)
    assert overload_state(generate_latest(registry)) == {
        "calls": 0,
        "maxCalls": 2,
        "overloaded": None,
    }
    guard.enter()
    guard.enter()
    guard.refuse()
    text = generate_latest(registry)
    assert b'ringcast_dialer_overloaded{reason="max_calls"} 1.0' in text
    assert b"ringcast_overload_refused_total 1.0" in text
    assert overload_state(text) == {"calls": 2, "maxCalls": 2, "overloaded": "max_calls"}
    assert overload_state(b"") is None
