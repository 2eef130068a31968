"""Dialer call set-up rate against sipp: the real dialer with the SIP launcher.

    .venv/bin/python bench/dialer_cps.py [--cps 100] [--seconds 20] [--db /tmp/dialer-cps.db]

A program over cps x seconds contacts (SQLite; the flow: dial, then hang up) with
`calls_per_second` set to `--cps` and a high concurrency limit is launched and dialed
by one `Dialer` (`run_forever`, real clock, default tick) through `SipLauncher` to a
sipp UAS (built-in `uas` scenario) on loopback. The rate is counted at sipp, from its
`-trace_stat` CSV (one row a second): incoming calls over the elapsed time of the
full rows between the first and the last row that saw calls. Failures: sipp's
FailedCall count plus attempts the dialer recorded as anything but completed.

Baseline, same run and warm (before the dialer): sipp UAC at `--cps` → sipp UAS,
the same count, so the reader sees what the box and the measuring method give.
Goal: the dialer's achieved rate within 2 % of `--cps` and 0 failed calls; exits 1
when missed. sipp runs on the same (shared) cores as the dialer.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from ringcast.calls.models import CallAttempt
from ringcast.db.engine import create_engine, create_sessionmaker
from ringcast.db.migrate import upgrade_async
from ringcast.dialer.clock import SystemClock
from ringcast.dialer.loop import Dialer, DialerConfig
from ringcast.dialer.sip_launcher import SipLauncher
from ringcast.dialer.store import DialerStore
from ringcast.programs import service
from ringcast.programs.models import Execution, Program
from ringcast.storage.local import LocalStorage
from ringcast.telephony.sip import TrunkConfig

sys.path.insert(0, str(Path(__file__).parent))
from launch import seed


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def uas(workdir: Path, name: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    port, stats = free_port(), workdir / f"{name}.csv"
    proc = subprocess.Popen(
        ["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-trace_stat", "-stf",
         str(stats), "-fd", "1", "-nostdin", "-timeout", "600s"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    return proc, port, stats


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def sipp_rate(stats: Path) -> tuple[float, int, int]:
    """(calls per second over the full rows, incoming calls, failed calls) from the CSV."""
    rows = list(csv.DictReader(stats.open(), delimiter=";"))
    times = [float(r["CurrentTime"].split()[-1]) for r in rows]
    counts = [int(r["IncomingCall(P)"]) for r in rows]
    busy = [i for i, c in enumerate(counts) if c > 0]
    total, failed = sum(counts), int(rows[-1]["FailedCall(C)"]) if rows else 0
    if len(busy) < 3:
        return float("nan"), total, failed
    middle = range(busy[0] + 1, busy[-1])  # whole seconds inside the run
    calls = sum(counts[i] for i in middle)
    return calls / (times[busy[-1] - 1] - times[busy[0]]), total, failed


def run_baseline(workdir: Path, cps: float, n: int) -> tuple[float, int, int]:
    proc, port, stats = uas(workdir, "baseline-uas")
    try:
        subprocess.run(
            ["sipp", "-sn", "uac", f"127.0.0.1:{port}", "-i", "127.0.0.1", "-p", str(free_port()),
             "-r", str(cps), "-m", str(n), "-nostdin", "-timeout", "600s"],
            cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        time.sleep(2.5)  # the last stat rows
    finally:
        stop(proc)
    return sipp_rate(stats)


async def run_dialer(
    workdir: Path, url: str, org_id: str, program_id: str, cps: float
) -> tuple[float, int, int, Counter[str]]:
    proc, port, stats = uas(workdir, "dialer-uas")
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    async with sessions.begin() as s:
        program = await s.get(Program, program_id)
        assert program is not None
        program.max_concurrent_calls = 2000
        program.calls_per_second = cps
        execution = await service.launch(s, org_id, program_id)
        eid = execution.id
    launcher = SipLauncher(
        sessions, LocalStorage(workdir / "storage"), fallback_trunk=TrunkConfig("127.0.0.1", port)
    )
    dialer = Dialer(DialerStore(sessions), launcher, SystemClock(), DialerConfig())
    stopping = asyncio.Event()
    task = asyncio.create_task(dialer.run_forever(stopping))
    try:
        while True:
            await asyncio.sleep(0.5)
            async with sessions() as s:
                status = (
                    await s.execute(select(Execution.status).where(Execution.id == eid))
                ).scalar_one()
            if status == "completed":
                break
        stopping.set()
        await task
        async with sessions() as s:
            rows = await s.execute(
                select(CallAttempt.outcome).where(CallAttempt.execution_id == eid)
            )
            outcomes = Counter(str(o) for o in rows.scalars())
        await asyncio.sleep(2.5)  # the last stat rows
    finally:
        await launcher.close()
        await engine.dispose()
        stop(proc)
    rate, total, failed = sipp_rate(stats)
    return rate, total, failed, outcomes


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cps", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--db", type=Path, default=Path("/tmp/ringcast-bench-cps.db"))
    args = parser.parse_args()
    n = int(args.cps * args.seconds)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{args.db}"
    await upgrade_async(url)
    org_id, program_id = await seed(url, n)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        b_rate, b_total, b_failed = run_baseline(workdir, args.cps, n)
        d_rate, d_total, d_failed, outcomes = await run_dialer(
            workdir, url, org_id, program_id, args.cps
        )
    not_completed = sum(c for o, c in outcomes.items() if o != "completed")
    print(f"set to {args.cps:g} CPS, {n} calls, counted at sipp (UAS -trace_stat)")
    print(f"baseline sipp UAC -> sipp UAS: {b_rate:7.1f} CPS  ({b_total} calls, {b_failed} failed)")
    print(f"dialer + SIP launcher -> sipp: {d_rate:7.1f} CPS  ({d_total} calls, {d_failed} failed "
          f"at sipp, attempts {dict(outcomes)})")  # fmt: skip
    off = abs(d_rate - args.cps) / args.cps
    ok = off <= 0.02 and d_failed == 0 and not_completed == 0 and d_total == n
    print(f"dialer off by {off * 100:.1f} % (goal <= 2 %, 0 failed): {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
