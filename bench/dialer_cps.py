"""Dialer throughput: sustained call set-ups per second through the full path.

    .venv/bin/python bench/dialer_cps.py [--contacts 5000] [--db /tmp/dialer-cps.db]

A program over N contacts (SQLite, pacing and concurrency limits set high) is
launched and dialed by one `Dialer` on the real clock until the execution
completes; CPS = N / elapsed. Two runs in the same process and database:
- full: claim → caller id → flow runner on an instantly answering simulated
  callee (`SimulatedLauncher`) → attempt recorded with its trace → job done;
- baseline: the same loop with a launcher that returns a canned result at
  once (no flow run): the claim + record database work and loop overhead.
Goal: full >= 200 CPS. Prints both and the ratio full / baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from sqlalchemy import select

from ringcast.db.engine import create_engine, create_sessionmaker
from ringcast.db.migrate import upgrade_async
from ringcast.dialer.clock import SystemClock
from ringcast.dialer.launcher import CallLauncher, CallPlan, CallResult
from ringcast.dialer.loop import Dialer, DialerConfig
from ringcast.dialer.simulated_launcher import SimulatedLauncher
from ringcast.dialer.store import DialerStore
from ringcast.programs import service
from ringcast.programs.models import Execution, Program

sys.path.insert(0, str(Path(__file__).parent))
from launch import seed


class CannedLauncher:
    async def launch(self, plan: CallPlan) -> CallResult:
        return CallResult("completed", "completed", dialed_at=plan.start_at)


async def run(url: str, org_id: str, program_id: str, launcher: CallLauncher) -> tuple[float, int]:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    async with sessions.begin() as s:
        program = await s.get(Program, program_id)
        assert program is not None
        program.max_concurrent_calls = 2000
        program.calls_per_second = 100_000
        execution = await service.launch(s, org_id, program_id)
        eid, total = execution.id, execution.total_contacts
    dialer = Dialer(
        DialerStore(sessions),
        launcher,
        SystemClock(),
        DialerConfig(tick_s=0.02, max_claim_per_tick=500),
    )
    started = time.perf_counter()
    while True:
        await dialer.run_once()
        await asyncio.sleep(0.02)
        async with sessions() as s:
            status = (
                await s.execute(select(Execution.status).where(Execution.id == eid))
            ).scalar_one()
        if status == "completed":
            break
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed, total


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/ringcast-bench-cps.db"))
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{args.db}"
    await upgrade_async(url)
    org_id, program_id = await seed(url, args.contacts)
    base_s, n = await run(url, org_id, program_id, CannedLauncher())
    full_s, n2 = await run(url, org_id, program_id, SimulatedLauncher())
    base_cps, full_cps = n / base_s, n2 / full_s
    print(
        f"baseline (claim + record, canned call): {base_cps:7.0f} CPS ({n} calls, {base_s:.2f} s)"
    )
    print(
        f"full path (flow on simulated callee):    {full_cps:7.0f} CPS ({n2} calls, {full_s:.2f} s)"
    )
    print(f"ratio full/baseline: {full_cps / base_cps:.2f}  goal >= 200 CPS: "
          f"{'OK' if full_cps >= 200 else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
