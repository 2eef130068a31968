from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest

from dialer.dialer_kit import (
    BlockedLauncher,
    attempts,
    clock_now,
    dialer,
    execution,
    jobs,
    launch,
    scripted,
    tick,
)
from programs.campaign_kit import seed_campaign
from ringcast.db.engine import create_engine, create_sessionmaker
from ringcast.dialer.launcher import CallPlan, CallResult
from ringcast.dialer.loop import Dialer, DialerConfig
from ringcast.dialer.store import DialerStore


async def test_expired_lease_becomes_worker_lost_and_follows_the_retry_strategy(api):
    _, eid = await launch(
        api, contacts=2, retryStrategy={"type": "fixed_delay", "delayMinutes": 1, "maxRetries": 1}
    )
    clock_a, clock_b = clock_now(), clock_now()
    blocked = BlockedLauncher()
    a = dialer(api, blocked, clock_a, lease_s=30)
    await a.run_once(clock_a.now())
    await blocked.started(2)
    assert {j.status for j in await jobs(api, eid)} == {"in_progress"}

    b = dialer(api, scripted(), clock_b, sweep_every_s=0)
    await tick(b, clock_b, 20)  # lease still valid: nothing recovered
    assert {j.status for j in await jobs(api, eid)} == {"in_progress"}
    clock_b.advance(15)
    report = await b.run_once(clock_b.now())
    assert report.recovered == 2
    lost = await attempts(api, eid)
    assert [(a.attempt, a.outcome, a.outcome_reason) for a in lost] == [
        (1, "failed", "worker_lost")
    ] * 2
    assert all(j.status == "pending" for j in await jobs(api, eid))

    blocked.release.set()  # the "dead" dialer comes back: its records are refused
    await a.drain()
    assert a.lost_leases == 2
    assert len(await attempts(api, eid)) == 2

    await tick(b, clock_b, 61)
    await tick(b, clock_b, 1)
    final = await attempts(api, eid)
    assert sorted((x.attempt, x.outcome) for x in final) == [
        (1, "failed"),
        (1, "failed"),
        (2, "completed"),
        (2, "completed"),
    ]
    assert (await execution(api, eid))["status"] == "completed"


async def test_worker_lost_without_retries_is_final(api):
    _, eid = await launch(api, contacts=1)
    clock = clock_now()
    blocked = BlockedLauncher()
    a = dialer(api, blocked, clock, lease_s=10)
    await a.run_once(clock.now())
    await blocked.started(1)
    b = dialer(api, scripted(), clock_now(), sweep_every_s=0)
    await b.run_once(clock.now() + timedelta(seconds=11))
    [job] = await jobs(api, eid)
    assert (job.status, job.final_outcome) == ("failed", "failed")
    blocked.release.set()
    await a.drain()


class OverlapCheckingLauncher:
    """Fails the test if one job is ever dialed twice at the same time."""

    def __init__(self) -> None:
        self.active: set[int] = set()
        self.calls: list[tuple[int, int]] = []
        self.overlaps = 0
        self.rng = random.Random(3)

    async def launch(self, plan: CallPlan) -> CallResult:
        if plan.job_id in self.active:
            self.overlaps += 1
        self.active.add(plan.job_id)
        self.calls.append((plan.job_id, plan.attempt))
        await asyncio.sleep(self.rng.uniform(0, 0.01))
        self.active.discard(plan.job_id)
        outcome = "busy" if self.rng.random() < 0.3 else "completed"
        return CallResult(outcome, outcome, dialed_at=plan.start_at)


async def test_two_dialers_on_postgresql_never_dial_a_job_twice(api, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("several dialers share an execution on PostgreSQL only")
    c = await seed_campaign(api, contacts=60, dids=2)
    h = api.acme.headers()
    body = c.program(
        callsPerSecond=1000,
        maxConcurrentCalls=100,
        retryStrategy={"type": "fixed_delay", "delayMinutes": 1, "maxRetries": 2},
    )
    pid = (await api.client.post("/api/programs", json=body, headers=h)).json()["id"]
    eid = (await api.client.post(f"/api/programs/{pid}/launch", headers=h)).json()["executionId"]
    engines = [create_engine(db_url), create_engine(db_url)]
    launcher = OverlapCheckingLauncher()
    clock = clock_now()
    dialers = [
        Dialer(
            DialerStore(create_sessionmaker(e)), launcher, clock, DialerConfig(max_claim_per_tick=7)
        )
        for e in engines
    ]
    try:
        for _ in range(40):
            await asyncio.gather(*(d.run_once(clock.now()) for d in dialers))
            await asyncio.gather(*(d.drain() for d in dialers))
            clock.advance(20)
            if (await execution(api, eid))["status"] == "completed":
                break
    finally:
        for e in engines:
            await e.dispose()
    assert launcher.overlaps == 0
    assert len(launcher.calls) == len(set(launcher.calls))  # no (job, attempt) twice
    rows = await attempts(api, eid)
    assert len(rows) == len(launcher.calls)
    per_job: dict[int, int] = {}
    for row in rows:
        per_job[row.job_id] = per_job.get(row.job_id, 0) + 1
    assert len(per_job) == 60 and max(per_job.values()) <= 3
    assert (await execution(api, eid))["status"] == "completed"


async def test_a_running_call_keeps_its_lease_alive(api):
    _, eid = await launch(api, contacts=1)
    clock = clock_now()
    blocked = BlockedLauncher()
    a = dialer(api, blocked, clock, lease_s=10, renew_every_s=3)
    await a.run_once(clock.now())
    await blocked.started(1)
    for _ in range(4):  # the call lasts 12 s, longer than one lease
        await a.run_once(clock.advance(3))
    b = dialer(api, scripted(), clock_now(), sweep_every_s=0)
    report = await b.run_once(clock.now() + timedelta(seconds=5))
    assert report.recovered == 0
    assert [j.status for j in await jobs(api, eid)] == ["in_progress"]
    blocked.release.set()
    await a.drain()
    assert a.lost_leases == 0
    assert [(x.attempt, x.outcome) for x in await attempts(api, eid)] == [(1, "completed")]
