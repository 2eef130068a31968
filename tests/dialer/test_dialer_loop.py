from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from dialer.dialer_kit import (
    BUSY,
    attempts,
    clock_now,
    dialer,
    execution,
    job_for,
    jobs,
    launch,
    scripted,
    tick,
)
from programs.campaign_kit import phone
from ringcast.dialer.simulated_launcher import INSTANT_HUMAN, SimulatedLauncher


async def test_every_contact_called_once_then_completed(api):
    _, eid = await launch(api, contacts=4, dids=2, callsPerSecond=100)
    clock = clock_now()
    launcher = scripted()
    d = dialer(api, launcher, clock)
    await tick(d, clock)
    e = await execution(api, eid)
    assert e["contactsCompleted"] == 4, e
    rows = await attempts(api, eid)
    assert [(a.attempt, a.outcome) for a in rows] == [(1, "completed")] * 4
    assert {a.to_number for a in rows} == {phone(i) for i in range(4)}
    assert rows[0].flow_execution["executionPath"][0]["nodeId"] == "dial-1"
    await tick(d, clock, 1)
    assert (await execution(api, eid))["status"] == "completed"
    # caller ids rotate over the pool, least recently used first
    assert [p.caller_id for p in launcher.plans] == ["+33987654320", "+33987654321"] * 2


async def test_fixed_delay_retries_then_fails_with_the_last_outcome(api):
    _, eid = await launch(
        api,
        contacts=2,
        callsPerSecond=100,
        retryStrategy={"type": "fixed_delay", "delayMinutes": 10, "maxRetries": 2},
    )
    clock = clock_now()
    d = dialer(api, scripted({phone(0): BUSY}), clock)
    await tick(d, clock)
    busy_job = await job_for(api, eid, phone(0))
    assert busy_job.status == "pending" and busy_job.attempt_count == 1
    assert busy_job.next_attempt_at == clock.now() + timedelta(minutes=10)
    await tick(d, clock, 60)  # not due yet
    assert (await job_for(api, eid, phone(0))).attempt_count == 1
    for _ in range(4):
        await tick(d, clock, 600)
    busy_job = await job_for(api, eid, phone(0))
    assert busy_job.status == "failed" and busy_job.final_outcome == "busy"
    outcomes = [(a.job_id, a.attempt, a.outcome) for a in await attempts(api, eid)]
    assert outcomes.count((busy_job.id, 3, "busy")) == 1
    assert len([o for o in outcomes if o[0] == busy_job.id]) == 3  # 1 + maxRetries
    e = await execution(api, eid)
    assert (e["contactsCompleted"], e["contactsFailed"], e["status"]) == (1, 1, "completed")


async def test_outcome_not_in_retry_on_is_final(api):
    _, eid = await launch(
        api,
        contacts=1,
        retryStrategy={
            "type": "fixed_delay",
            "delayMinutes": 1,
            "maxRetries": 5,
            "retryOn": ["no_answer"],
        },
    )
    clock = clock_now()
    d = dialer(api, scripted({phone(0): BUSY}), clock)
    await tick(d, clock)
    [job] = await jobs(api, eid)
    assert (job.status, job.final_outcome, job.attempt_count) == ("failed", "busy", 1)


async def test_scheduled_retries_one_per_date(api):
    base = datetime.now(UTC)
    dates = [base + timedelta(hours=1), base + timedelta(hours=3)]
    _, eid = await launch(
        api,
        contacts=1,
        retryStrategy={"type": "scheduled", "retryDates": [d.isoformat() for d in dates]},
    )
    clock = clock_now()
    d = dialer(api, scripted({phone(0): BUSY}), clock)
    await tick(d, clock)
    [job] = await jobs(api, eid)
    assert abs((job.next_attempt_at - dates[0]).total_seconds()) < 0.01
    clock.set(dates[0] + timedelta(seconds=1))
    await tick(d, clock)
    [job] = await jobs(api, eid)
    assert abs((job.next_attempt_at - dates[1]).total_seconds()) < 0.01
    clock.set(dates[1] + timedelta(seconds=1))
    await tick(d, clock)
    [job] = await jobs(api, eid)
    assert (job.status, job.attempt_count) == ("failed", 3)


async def test_retry_inside_a_pause_window_moves_to_its_end_and_nobody_is_skipped(api):
    start = datetime.now(UTC)
    holiday = {
        "startAt": (start + timedelta(minutes=5)).isoformat(),
        "endAt": (start + timedelta(hours=2)).isoformat(),
    }
    _, eid = await launch(
        api,
        contacts=3,
        pauseWindows={"advanced": [holiday]},
        maxConcurrentCalls=1,
        retryStrategy={"type": "fixed_delay", "delayMinutes": 10, "maxRetries": 1},
    )
    clock = clock_now()
    calls = []

    def first_call_busy(number):
        calls.append(number)
        return BUSY if len(calls) == 1 else INSTANT_HUMAN

    d = dialer(api, SimulatedLauncher(first_call_busy), clock)
    await tick(d, clock)  # one call (maxConcurrentCalls=1), busy
    first = await job_for(api, eid, calls[0])
    assert first.attempt_count == 1
    assert first.next_attempt_at == datetime.fromisoformat(holiday["endAt"])
    clock.set(start + timedelta(minutes=6))  # inside the window: nothing starts
    await tick(d, clock)
    assert sum(j.attempt_count for j in await jobs(api, eid)) == 1
    clock.set(start + timedelta(hours=2, seconds=1))
    for _ in range(4):
        await tick(d, clock, 1)
    final = await jobs(api, eid)
    assert sorted(j.attempt_count for j in final) == [1, 1, 2]
    assert (await job_for(api, eid, calls[0])).attempt_count == 2
    assert all(j.status in ("completed", "failed") for j in final)


async def test_stop_at_stops_and_the_rest_are_not_called(api):
    stop = datetime.now(UTC) + timedelta(minutes=30)
    _, eid = await launch(api, contacts=5, maxConcurrentCalls=2, stopAt=stop.isoformat())
    clock = clock_now()
    launcher = scripted()
    d = dialer(api, launcher, clock)
    await tick(d, clock)
    clock.set(stop + timedelta(seconds=1))
    await tick(d, clock)
    e = await execution(api, eid)
    assert e["status"] == "stopped" and e["actualEndAt"] is not None
    assert (e["contactsCompleted"], e["contactsFailed"], e["contactsPending"]) == (2, 3, 0)
    await tick(d, clock, 10)
    assert len(launcher.plans) == 2


async def test_pause_keeps_calls_from_starting_and_cancel_is_final(api):
    _, eid = await launch(api, contacts=4, maxConcurrentCalls=1)
    h = api.acme.headers()
    clock = clock_now()
    launcher = scripted()
    d = dialer(api, launcher, clock)
    await tick(d, clock)
    await api.client.patch(f"/api/program-executions/{eid}/pause", headers=h)
    await tick(d, clock, 1)
    assert len(launcher.plans) == 1
    await api.client.patch(f"/api/program-executions/{eid}/resume", headers=h)
    await tick(d, clock, 1)
    assert len(launcher.plans) == 2
    await api.client.patch(f"/api/program-executions/{eid}/cancel", headers=h)
    await tick(d, clock, 1)
    e = await execution(api, eid)
    assert (e["status"], e["contactsCompleted"], e["contactsFailed"]) == ("cancelled", 2, 2)
    assert len(launcher.plans) == 2


async def test_dnc_numbers_are_not_dialed(api):
    _, eid = await launch(api, contacts=2)
    r = await api.client.post(
        "/api/dnc", json={"phone": phone(1), "reason": "asked"}, headers=api.acme.headers()
    )
    assert r.status_code == 201, r.text
    clock = clock_now()
    launcher = scripted()
    d = dialer(api, launcher, clock)
    await tick(d, clock)
    assert [p.to_number for p in launcher.plans] == [phone(0)]
    rows = await attempts(api, eid)
    assert sorted((a.to_number, a.outcome, a.outcome_reason) for a in rows) == [
        (phone(0), "completed", "completed"),
        (phone(1), "cancelled", "dnc"),
    ]
    job = await job_for(api, eid, phone(1))
    assert (job.status, job.final_outcome) == ("cancelled", "cancelled")


async def test_auto_pause_at_threshold_and_reset_on_resume(api):
    _, eid = await launch(
        api,
        contacts=5,
        maxConcurrentCalls=1,
        autoPauseRules=[{"nodeId": "bye", "threshold": 2, "resetOnResume": True}],
    )
    clock = clock_now()
    launcher = scripted()
    d = dialer(api, launcher, clock)
    for _ in range(4):
        await tick(d, clock, 1)
    e = await execution(api, eid)
    assert e["status"] == "paused_threshold" and e["contactsCompleted"] == 2
    r = await api.client.patch(f"/api/program-executions/{eid}/resume", headers=api.acme.headers())
    assert r.json()["status"] == "running"
    for _ in range(3):
        await tick(d, clock, 1)
    e = await execution(api, eid)
    assert e["status"] == "paused_threshold" and e["contactsCompleted"] == 4


async def test_calls_per_second_is_smooth(api):
    _, eid = await launch(api, contacts=12, callsPerSecond=10, maxConcurrentCalls=100)
    clock = clock_now()
    launcher = scripted()
    d = dialer(api, launcher, clock, tick_s=0.25)
    for _ in range(20):
        await tick(d, clock, 0.05)
    starts = sorted(p.start_at for p in launcher.plans)
    assert len(starts) == 12
    gaps = [(b - a).total_seconds() for a, b in pairwise(starts)]
    assert min(gaps) >= 0.1 - 1e-6
    assert Counter(a.outcome for a in await attempts(api, eid)) == {"completed": 12}
