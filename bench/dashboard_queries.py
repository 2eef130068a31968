"""Dashboard query benchmark: an execution's outcome counts, call rate and latest attempts.

    .venv/bin/python bench/dashboard_queries.py [--attempts 300000] [--db /tmp/x.db] [--pg URL]

Fills `call_attempts` with N attempts of one execution (plus two small ones)
in a migrated database (set-up, not timed), then times the three queries the
dashboard's execution page runs (`calls.repository.CallAttemptRepository`:
outcome_counts, started_since, latest 50), median of 5, in the same run:
- baseline: with the index migration 0009 replaced, a single index on
  execution_id (what 0006 created),
- indexed: migration 0009's (execution_id, outcome, answered_by) and
  (execution_id, created_at).
Prints both and the ratio baseline / indexed per query. SQLite by default;
`--pg` runs the same on PostgreSQL (after a VACUUM ANALYZE, as autovacuum
would). Measured on this 2-core box: SQLite x7.8 / x37 / x120, PostgreSQL
x1.0 / x15 / x51 (there the outcome count over nearly the whole table stays a
scan either way).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ringcast.calls.models import CallAttempt
from ringcast.calls.repository import CallAttemptRepository
from ringcast.db.engine import create_engine, create_sessionmaker
from ringcast.db.migrate import upgrade_async

OUTCOMES = [("completed", "human"), ("voicemail", "machine"), ("no_answer", None), ("busy", None)]
ORG = str(uuid.uuid4())
BIG = str(uuid.uuid4())
SMALL = [str(uuid.uuid4()), str(uuid.uuid4())]
START = datetime(2026, 11, 27, 8, tzinfo=UTC)

BASELINE = [
    "DROP INDEX IF EXISTS ix_call_attempts_outcomes",
    "DROP INDEX IF EXISTS ix_call_attempts_recent",
    "CREATE INDEX ix_call_attempts_execution_id ON call_attempts (execution_id)",
]
INDEXED = [
    "DROP INDEX IF EXISTS ix_call_attempts_execution_id",
    "CREATE INDEX ix_call_attempts_outcomes ON call_attempts (execution_id, outcome, answered_by)",
    "CREATE INDEX ix_call_attempts_recent ON call_attempts (execution_id, created_at)",
]


def rows(execution_id: str, count: int, first_job: int) -> list[dict[str, Any]]:
    rng = random.Random(execution_id)
    out = []
    for i in range(count):
        outcome, answered_by = rng.choice(OUTCOMES)
        out.append(
            {
                "id": str(uuid.uuid4()),
                "job_id": f"00000000-0000-7000-8000-{first_job + i:012x}",
                "organization_id": ORG,
                "execution_id": execution_id,
                "attempt": 1,
                "status": "completed",
                "direction": "outbound",
                "to_number": f"+3361{i:07d}",
                "created_at": START + timedelta(milliseconds=40 * i),
                "outcome": outcome,
                "answered_by": answered_by,
                "events": [],
            }
        )
    return out


def batches(attempts: int) -> list[list[dict[str, Any]]]:
    out, first = [], 1
    for execution_id, count in [(BIG, attempts), *((e, 2000) for e in SMALL)]:
        batch = rows(execution_id, count, first)
        out += [batch[i : i + 20_000] for i in range(0, len(batch), 20_000)]
        first += count
    return out


def fill_sqlite(path: Path, attempts: int) -> None:
    """Raw sqlite3: foreign keys off (no jobs rows; they are not what is measured)."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys = OFF")
    columns = list(rows(BIG, 1, 1)[0])
    sql = (
        f"INSERT INTO call_attempts ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    )
    for batch in batches(attempts):
        con.executemany(sql, [tuple(_sqlite(r[c]) for c in columns) for r in batch])
    con.commit()
    con.execute("ANALYZE")
    con.close()


def _sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")  # as UtcDateTime stores it
    return "[]" if value == [] else value


async def fill_pg(engine: AsyncEngine, attempts: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("SET session_replication_role = replica"))  # no jobs rows
        await conn.execute(text("DELETE FROM call_attempts"))
        for batch in batches(attempts):
            await conn.execute(insert(CallAttempt), batch)
    # as autovacuum would: the visibility map lets PostgreSQL answer from the index alone
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await auto.execute(text("VACUUM ANALYZE call_attempts"))


async def timed(
    sessions: async_sessionmaker[AsyncSession],
    query: Callable[[CallAttemptRepository], Awaitable[object]],
) -> float:
    samples = []
    for _ in range(5):
        async with sessions() as s:
            started = time.perf_counter()
            await query(CallAttemptRepository(s))
            samples.append(time.perf_counter() - started)
    return statistics.median(samples)


QUERIES: dict[str, Callable[[CallAttemptRepository], Awaitable[object]]] = {
    "outcome_counts": lambda r: r.outcome_counts([BIG, *SMALL]),
    "started_since (last 5 min)": lambda r: r.started_since(
        [BIG, *SMALL], START + timedelta(hours=3, minutes=15)
    ),
    "latest 50": lambda r: r.latest(ORG, BIG, 50),
}


async def measure(engine: AsyncEngine, statements: list[str]) -> dict[str, float]:
    async with engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))
        await conn.execute(text("ANALYZE call_attempts"))
    sessions = create_sessionmaker(engine)
    return {name: await timed(sessions, query) for name, query in QUERIES.items()}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=300_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/ringcast-bench-dashboard.db"))
    parser.add_argument("--pg", help="a PostgreSQL URL (postgresql+asyncpg://...) instead")
    args = parser.parse_args()
    if args.pg:
        url = args.pg
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{args.db}"
    await upgrade_async(url)
    engine = create_engine(url)
    if args.pg:
        await fill_pg(engine, args.attempts)
    else:
        fill_sqlite(args.db, args.attempts)
    base = await measure(engine, BASELINE)
    indexed = await measure(engine, INDEXED)
    await engine.dispose()
    print(f"{engine.dialect.name}, {args.attempts:,} attempts in one execution (median of 5)")
    for name in QUERIES:
        b, i = base[name], indexed[name]
        print(
            f"  {name:28} baseline {1000 * b:8.1f} ms   indexed {1000 * i:8.1f} ms   x{b / i:6.1f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
