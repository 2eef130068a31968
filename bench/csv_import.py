"""CSV import of a generated 1,000,000-row file: wall time and peak RSS.

Generates (streaming) a CSV with `--rows` contacts — valid Moroccan mobile
numbers, names, email, city, one number custom attribute; 1 row in 1000 has a
malformed phone — then imports it into a fresh SQLite database through the
code path `ringcast contacts import` uses (`import_csv`, 1000-row chunks,
committed `BULK_COMMIT_ROWS` rows at a time). Baseline in the same run: reading the same file with
the stdlib `csv` module alone (the floor for any streaming import). Prints
wall time, rows/s, peak RSS of the import (resource.getrusage, which the
generation step does not raise: it streams too) and the ratio to the baseline.

    .venv/bin/python bench/csv_import.py [--rows 1000000] [--keep FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from ringcast.auth import service
from ringcast.contacts.attribute_values import AttributeType
from ringcast.contacts.csv_import import (
    BULK_COMMIT_ROWS,
    BULK_GC_THRESHOLD,
    ImportTotals,
    import_csv,
)
from ringcast.contacts.schemas import AttributeCreate
from ringcast.contacts.service import create_attribute
from ringcast.db.engine import create_engine, create_sessionmaker
from ringcast.db.migrate import upgrade_async


def generate(path: Path, rows: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            ["primaryPhone", "firstName", "lastName", "primaryEmail", "city",
             "customAttributes.score"]
        )  # fmt: skip
        for i in range(rows):
            # numbers repeat a little, as real exports do (duplicates → updates)
            phone = f"+2126{rng.randrange(10**8):08d}" if i % 1000 else f"06-{i}"
            out.writerow([phone, f"First{i}", f"Last{i}", f"u{i}@example.com", "Rabat", i % 97])


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def thread_cpu_s() -> dict[str, float]:
    """CPU seconds (user + system) of each live thread of this process (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for task in Path("/proc/self/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        out[task.name] = (int(fields[11]) + int(fields[12])) / ticks
    return out


async def run(path: Path, tmp: Path) -> tuple[float, float, float, ImportTotals]:
    url = f"sqlite+aiosqlite:///{tmp}/bench.db"
    await upgrade_async(url)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    async with sessions.begin() as s:
        org = await service.get_or_create_organization(s, "bench")
        score = AttributeCreate(display_name="Score", type=AttributeType.number)
        await create_attribute(s, org.id, score)
        org_id = org.id
    gc.freeze()  # as `ringcast contacts import` does before importing
    gc.set_threshold(BULK_GC_THRESHOLD)
    last = [time.perf_counter()]
    started = last[0]
    cpu_started = time.process_time()
    threads_started = thread_cpu_s()

    async def progress(_s: object, totals: ImportTotals) -> None:
        gc.collect()  # as the CLI's progress hook does after each commit
        now = time.perf_counter()
        if now - last[0] >= 10:
            last[0] = now
            rate = totals.processed / (now - started)
            print(f"  {totals.processed:>9,} rows  {rate:8,.0f} rows/s  rss {rss_mb():6.1f} MB",
                  flush=True)  # fmt: skip

    totals = await import_csv(
        sessions,
        org_id,
        path,
        rejected_path=tmp / "rejected.csv",
        on_chunk=progress,
        commit_rows=BULK_COMMIT_ROWS,  # as `ringcast contacts import` does
    )
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    # the busiest thread (Python or the SQLite driver's) bounds the wall time
    # from below on an idle machine with >= 2 cores; wall time above it is
    # waiting for a core (other load) or for I/O
    busiest = max(t - threads_started.get(tid, 0.0) for tid, t in thread_cpu_s().items())
    await engine.dispose()
    return elapsed, cpu, busiest, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="reuse/keep the generated CSV here")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    path = args.keep or tmp / "contacts.csv"
    if not path.exists():
        t = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB "
              f"in {time.perf_counter() - t:.1f} s", flush=True)  # fmt: skip
    rss_before = rss_mb()
    t = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as f:
        n = sum(1 for _ in csv.reader(f)) - 1
    baseline = time.perf_counter() - t
    elapsed, cpu, busiest, totals = asyncio.run(run(path, tmp))
    print(f"rows: {n:,}  created {totals.created:,}  updated {totals.updated:,}  "
          f"rejected {totals.failed:,}")  # fmt: skip
    print(f"import wall time: {elapsed:8.1f} s  ({totals.processed / elapsed:,.0f} rows/s)")
    # on a shared machine wall time includes waiting for a core; CPU time does not
    print(
        f"import CPU time:  {cpu:8.1f} s  (all threads; {totals.processed / cpu:,.0f} rows/CPU-s)"
    )
    print(f"busiest thread:   {busiest:8.1f} s CPU  (wall-time floor on an idle 2-core machine)")
    print(
        f"csv-read baseline: {baseline:7.1f} s  (ratio import/baseline {elapsed / baseline:.1f}x)"
    )
    print(f"peak RSS: {rss_mb():.0f} MB (before import {rss_before:.0f} MB)")
    print(f"goal < 60 s and < 300 MB: {'met' if elapsed < 60 and rss_mb() < 300 else 'NOT met'}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
