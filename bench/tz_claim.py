"""Claim throughput with timezoneMode "contact" vs "program" (SQLite).

    .venv/bin/python bench/tz_claim.py [--contacts 100000] [--db /tmp/tz-claim.db]

N contacts whose numbers are spread over 12 countries (France, the US over
many area codes, Japan, Germany, the UK, Australia, Brazil...; the zone
lookup's cache starts cold), one program, launched once per run in the same
database; each run claims every job in batches of 500 (`DialerStore.claim`,
as the loop does; no call is made) and reports jobs claimed per second:
- program: the windows in the program's zone (Gomobile): no per-job test;
- contact (cold, then warm cache): every callee's zones are tested, with no
  window closed anywhere, so every candidate is claimed: the screen's cost;
- contact, windows 09:00-20:00 at 15:00 UTC: the callees whose zone is closed
  (Americas west of New York, Asia, Australia) are deferred (jobs settled,
  claimed + deferred, per second).
Prints the ratio contact / program.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import phonenumbers
from sqlalchemy import func, select, update

from ringcast.calls.models import Job
from ringcast.contacts.models import Contact
from ringcast.db.engine import create_engine, create_sessionmaker
from ringcast.db.migrate import upgrade_async
from ringcast.dialer import callee_zones
from ringcast.dialer.callee_windows import CalleeWindows
from ringcast.dialer.store import DialerStore
from ringcast.dialer.windows import WEEKDAYS, PauseWindows
from ringcast.programs import service
from ringcast.programs.models import Execution, Program

sys.path.insert(0, str(Path(__file__).parent))
from launch import seed

REGIONS = ("FR", "US", "US", "US", "JP", "DE", "GB", "AU", "BR", "CA", "ES", "IT", "MX", "IN")
NIGHTS = {
    day: [{"startAt": {"hour": 20, "minute": 0}, "endAt": {"hour": 9, "minute": 0}}]
    for day in WEEKDAYS
}
BATCH = 500


def spread_numbers(count: int) -> list[str]:
    """`count` distinct valid numbers: example numbers of each region, digits redrawn."""
    rng = random.Random(7)
    examples = []
    for region in REGIONS:
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                examples.append(phonenumbers.format_number(example, 0))
    found: set[str] = set()
    while len(found) < count:
        e164 = rng.choice(examples)
        keep = rng.randint(len(e164) - 7, len(e164) - 4)
        candidate = e164[:keep] + "".join(rng.choices("0123456789", k=len(e164) - keep))
        parsed = phonenumbers.parse(candidate)
        if phonenumbers.is_valid_number(parsed):
            found.add(phonenumbers.format_number(parsed, 0))
    return sorted(found)


async def renumber(url: str, org_id: str, numbers: list[str]) -> None:
    engine = create_engine(url)
    async with create_sessionmaker(engine).begin() as s:
        ids = (
            (await s.execute(select(Contact.id).where(Contact.organization_id == org_id)))
            .scalars()
            .all()
        )
        rng = random.Random(3)
        rng.shuffle(numbers)
        # out of the way first: a new number may be one the seed gave another contact
        await s.execute(
            update(Contact)
            .where(Contact.organization_id == org_id)
            .values(primary_phone="#" + Contact.id)
        )
        await s.execute(
            update(Contact),
            [
                {"id": contact_id, "primary_phone": number}
                for contact_id, number in zip(ids, numbers, strict=True)
            ],
        )
    await engine.dispose()


async def run(
    url: str, org_id: str, program_id: str, mode: str, windows: dict[str, object], now: datetime
) -> tuple[float, int, int]:
    """(seconds, jobs claimed, jobs deferred) to settle every job of a fresh launch."""
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    async with sessions.begin() as s:
        await s.execute(update(Execution).values(status="cancelled"))
        program = await s.get(Program, program_id)
        assert program is not None
        program.timezone_mode, program.pause_windows, program.timezone = mode, windows, "UTC"
        execution = await service.launch(s, org_id, program_id, now=now - timedelta(seconds=1))
        eid, total = execution.id, execution.total_contacts
    store = DialerStore(sessions)
    callee = CalleeWindows(PauseWindows.from_json(windows, "UTC"))
    lease = now + timedelta(minutes=5)
    claimed = 0
    started = time.perf_counter()
    while True:
        screen = callee.screen(now) if mode == "contact" else None
        jobs = await store.claim(eid, org_id, BATCH, "bench", now, lease, screen)
        if not jobs:
            break
        claimed += len(jobs)
        if claimed >= total:
            break
    elapsed = time.perf_counter() - started
    async with sessions() as s:
        deferred = (
            await s.execute(
                select(func.count(Job.id)).where(
                    Job.execution_id == eid, Job.status == "pending", Job.next_attempt_at > now
                )
            )
        ).scalar_one()
    await engine.dispose()
    assert claimed + deferred == total, (claimed, deferred, total)
    return elapsed, claimed, int(deferred)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/ringcast-bench-tz-claim.db"))
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{args.db}"
    await upgrade_async(url)
    org_id, program_id = await seed(url, args.contacts)
    await renumber(url, org_id, spread_numbers(args.contacts))
    now = datetime(2026, 12, 1, 15, tzinfo=UTC)  # Paris 16:00, New York 10:00, LA 07:00
    callee_zones.clear_cache()
    results = [
        ("program", await run(url, org_id, program_id, "program", {}, now)),
        ("contact, cold cache", await run(url, org_id, program_id, "contact", {}, now)),
        ("contact, warm cache", await run(url, org_id, program_id, "contact", {}, now)),
        ("program, 09-20", await run(url, org_id, program_id, "program", NIGHTS, now)),
        ("contact, 09-20 (defers)", await run(url, org_id, program_id, "contact", NIGHTS, now)),
    ]
    rates = {}
    for name, (seconds, claimed, deferred) in results:
        rates[name] = (claimed + deferred) / seconds
        print(
            f"{name:24s} {rates[name]:9.0f} jobs/s  "
            f"({claimed} claimed, {deferred} deferred, {seconds:.2f} s)"
        )
    print(f"ratio contact (warm) / program: {rates['contact, warm cache'] / rates['program']:.2f}")
    print(f"ratio contact (cold) / program: {rates['contact, cold cache'] / rates['program']:.2f}")
    print(f"zone cache entries: {callee_zones.cache_size()}")


if __name__ == "__main__":
    asyncio.run(main())
