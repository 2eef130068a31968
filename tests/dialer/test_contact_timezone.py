"""timezoneMode "contact": the dialer reads the windows in each callee's own zones.

One program calls Paris, New York, Los Angeles and Tokyo, open 09:00-20:00
callee-local (paused 20:00→09:00 every day), on a fake clock at fixed dates;
the jobs are made due just before it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from dialer.dialer_kit import BUSY, attempts, dialer, execution, job_for, jobs, scripted, tick
from programs.campaign_kit import seed_campaign
from ringcast.calls.models import Job
from ringcast.dialer.callee_zones import zones_for_number
from ringcast.dialer.clock import FakeClock
from ringcast.dialer.windows import WEEKDAYS, PauseWindows

PARIS, NEW_YORK, LOS_ANGELES, TOKYO = "+33142685300", "+12125550100", "+13105550100", "+81312345678"
RUSSIAN_MOBILE = "+79123456789"  # every Russian zone: all agree only 07:00-08:00 UTC
FREEPHONE = "+80012345678"  # no zone: read in the program's zone
NIGHTS = {
    day: [{"startAt": {"hour": 20, "minute": 0}, "endAt": {"hour": 9, "minute": 0}}]
    for day in WEEKDAYS
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def launch_at(api, phones, now, **program):
    """Launch a program over `phones`; every job due one second before `now`."""
    c = await seed_campaign(api, dids=1, phones=phones)
    h = api.acme.headers()
    body = c.program(
        **{"pauseWindows": NIGHTS, "timezone": "Europe/Paris", "callsPerSecond": 100, **program}
    )
    r = await api.client.post("/api/programs", json=body, headers=h)
    assert r.status_code == 201, r.text
    launched = await api.client.post(f"/api/programs/{r.json()['id']}/launch", headers=h)
    assert launched.status_code == 201, launched.text
    eid = launched.json()["executionId"]
    async with api.app.state.ringcast.sessions.begin() as s:
        await s.execute(
            update(Job)
            .where(Job.execution_id == eid)
            .values(next_attempt_at=now - timedelta(seconds=1))
        )
    return eid


def assert_open_for_callee(plans, pause_windows=NIGHTS):
    """Every call started inside its callee's hours, in each zone of the number."""
    for plan in plans:
        zones = zones_for_number(plan.to_number) or ("Europe/Paris",)
        for zone in zones:
            windows = PauseWindows.from_json(pause_windows, zone)
            assert not windows.paused_at(plan.start_at), (plan.to_number, zone, plan.start_at)


async def first_tick(api, now, launcher=None):
    """A dialer on a fake clock at `now` with scripted callees, after its first tick."""
    clock = FakeClock(now)
    launcher = launcher or scripted()
    d = dialer(api, launcher, clock)
    await tick(d, clock)
    return d, clock, launcher


async def dialled_after(d, clock, launcher, at):
    clock.set(at)
    await tick(d, clock)
    return sorted({p.to_number for p in launcher.plans})


async def test_winter_each_callee_is_called_from_9_in_their_zone(api):
    now = utc(2026, 12, 1, 15)  # Tuesday: Paris 16:00, NY 10:00, LA 07:00, Tokyo Wed 00:00
    eid = await launch_at(api, [PARIS, NEW_YORK, LOS_ANGELES, TOKYO], now, timezoneMode="contact")
    d, clock, launcher = await first_tick(api, now)
    assert sorted(p.to_number for p in launcher.plans) == sorted([PARIS, NEW_YORK])
    la, tokyo = await job_for(api, eid, LOS_ANGELES), await job_for(api, eid, TOKYO)
    # deferred to the exact opening: no attempt, no lease
    assert (la.status, la.attempt_count, la.lease_owner) == ("pending", 0, None)
    assert la.next_attempt_at == utc(2026, 12, 1, 17)  # 09:00 PST
    assert (tokyo.status, tokyo.attempt_count) == ("pending", 0)
    assert tokyo.next_attempt_at == utc(2026, 12, 2, 0)  # 09:00 JST
    assert len(await attempts(api, eid)) == 2
    e = await execution(api, eid)
    assert (e["contactsCompleted"], e["contactsPending"]) == (2, 2)
    # one second before LA opens nobody else is called; at the opening LA is
    assert await dialled_after(d, clock, launcher, utc(2026, 12, 1, 16, 59, 59)) == [
        NEW_YORK,
        PARIS,
    ]
    assert LOS_ANGELES in await dialled_after(d, clock, launcher, utc(2026, 12, 1, 17))
    assert TOKYO not in {p.to_number for p in launcher.plans}
    # Tokyo at its 09:00, while Paris (01:00) and the program's own window are closed
    assert TOKYO in await dialled_after(d, clock, launcher, utc(2026, 12, 2, 0))
    assert_open_for_callee(launcher.plans)
    await tick(d, clock, 1)
    assert (await execution(api, eid))["status"] == "completed"


async def test_new_york_already_on_summer_time_paris_not_yet(api):
    # Saturday 20 March 2027: New York went to EDT on the 14th, Paris waits to the 28th
    now = utc(2027, 3, 20, 12, 30)  # Paris 13:30 CET, NY 08:30 EDT, LA 05:30 PDT
    eid = await launch_at(api, [PARIS, NEW_YORK, LOS_ANGELES, TOKYO], now, timezoneMode="contact")
    *_, launcher = await first_tick(api, now)
    assert [p.to_number for p in launcher.plans] == [PARIS]
    assert (await job_for(api, eid, NEW_YORK)).next_attempt_at == utc(2027, 3, 20, 13)  # not 14
    assert (await job_for(api, eid, LOS_ANGELES)).next_attempt_at == utc(2027, 3, 20, 16)
    assert (await job_for(api, eid, TOKYO)).next_attempt_at == utc(2027, 3, 21, 0)
    assert_open_for_callee(launcher.plans)


async def test_paris_spring_forward_opens_at_9_summer_time(api):
    # Saturday 27 March 2027 20:00 UTC: Paris 21:00 CET (closed); the clocks go
    # forward overnight, so Paris opens on Sunday at 09:00 CEST = 07:00 UTC
    now = utc(2027, 3, 27, 20)
    eid = await launch_at(api, [PARIS, NEW_YORK], now, timezoneMode="contact")
    d, clock, launcher = await first_tick(api, now)
    assert [p.to_number for p in launcher.plans] == [NEW_YORK]  # 16:00 EDT
    assert (await job_for(api, eid, PARIS)).next_attempt_at == utc(2027, 3, 28, 7)
    assert await dialled_after(d, clock, launcher, utc(2027, 3, 28, 7)) == [
        NEW_YORK,
        PARIS,
    ]
    assert_open_for_callee(launcher.plans)


async def test_a_number_spanning_zones_is_called_only_when_all_are_open(api):
    now = utc(2026, 12, 1, 12)  # Moscow 15:00 but Kamchatka midnight
    eid = await launch_at(api, [RUSSIAN_MOBILE, PARIS], now, timezoneMode="contact")
    d, clock, launcher = await first_tick(api, now)
    assert [p.to_number for p in launcher.plans] == [PARIS]
    job = await job_for(api, eid, RUSSIAN_MOBILE)
    assert (job.next_attempt_at, job.attempt_count) == (utc(2026, 12, 2, 7), 0)
    await dialled_after(d, clock, launcher, utc(2026, 12, 2, 6, 59))
    assert RUSSIAN_MOBILE not in {p.to_number for p in launcher.plans}
    assert RUSSIAN_MOBILE in await dialled_after(d, clock, launcher, utc(2026, 12, 2, 7))
    assert_open_for_callee(launcher.plans)


async def test_zones_that_never_agree_cancel_the_job_without_a_call(api):
    afternoons = {
        day: [{"startAt": {"hour": 18, "minute": 0}, "endAt": {"hour": 12, "minute": 0}}]
        for day in WEEKDAYS
    }
    now = utc(2026, 12, 1, 12)
    eid = await launch_at(
        api, [RUSSIAN_MOBILE, PARIS], now, timezoneMode="contact", pauseWindows=afternoons
    )
    *_, launcher = await first_tick(api, now)
    assert [p.to_number for p in launcher.plans] == [PARIS]
    job = await job_for(api, eid, RUSSIAN_MOBILE)
    assert (job.status, job.final_outcome) == ("cancelled", "cancelled")
    [attempt] = [a for a in await attempts(api, eid) if a.to_number == RUSSIAN_MOBILE]
    assert (attempt.outcome, attempt.outcome_reason, attempt.dialed_at) == (
        "cancelled",
        "no_calling_time",
        None,
    )


async def test_a_number_in_no_zone_follows_the_program_zone(api):
    now = utc(2026, 12, 1, 20, 30)  # Paris 21:30 (closed), New York 15:30
    eid = await launch_at(api, [FREEPHONE, NEW_YORK], now, timezoneMode="contact")
    d, clock, launcher = await first_tick(api, now)
    assert [p.to_number for p in launcher.plans] == [NEW_YORK]
    assert (await job_for(api, eid, FREEPHONE)).next_attempt_at == utc(2026, 12, 2, 8)
    assert FREEPHONE in await dialled_after(d, clock, launcher, utc(2026, 12, 2, 8))


async def test_a_retry_moves_past_the_callees_own_window(api):
    now = utc(2026, 12, 1, 0, 55)  # New York 19:55 EST; Paris 01:55, closed
    eid = await launch_at(
        api,
        [NEW_YORK],
        now,
        timezoneMode="contact",
        retryStrategy={"type": "fixed_delay", "delayMinutes": 10, "maxRetries": 1},
    )
    await first_tick(api, now, scripted({NEW_YORK: BUSY}))
    [job] = await jobs(api, eid)
    # busy at 19:55; 20:05 is closed in New York: next morning 09:00 EST
    assert (job.status, job.attempt_count) == ("pending", 1)
    assert job.next_attempt_at == utc(2026, 12, 1, 14)


async def test_default_mode_reads_every_window_in_the_program_zone(api):
    now = utc(2026, 12, 1, 20)  # Paris 21:00: closed for everyone, New York (15:00) too
    eid = await launch_at(api, [PARIS, NEW_YORK, LOS_ANGELES, TOKYO], now)
    d, clock, launcher = await first_tick(api, now)
    assert launcher.plans == []
    assert {j.next_attempt_at for j in await jobs(api, eid)} == {now - timedelta(seconds=1)}
    # Paris 09:00: everyone, Los Angeles at midnight and Tokyo at 17:00 alike
    assert await dialled_after(d, clock, launcher, utc(2026, 12, 2, 8)) == sorted(
        [PARIS, NEW_YORK, LOS_ANGELES, TOKYO]
    )
