"""The job-UUID migration: integer job ids become UUIDs, existing rows keep their links
and their order, and the downgrade numbers them back, on both databases."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ringcast.db.engine import create_engine
from ringcast.db.migrate import alembic_config
from support import unavailable

UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
NOW = "2026-12-01 10:00:00"
JOB_UUIDS = "0019"  # the migration under test (versions/*_ops2_job_uuids.py)
BEFORE = "0018"


@pytest.fixture(params=["sqlite", "postgres"])
async def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of its own (not the shared, already migrated one)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/old.db"
        return
    base = os.environ.get("RINGCAST_TEST_PG_URL")
    if not base:
        unavailable("RINGCAST_TEST_PG_URL is not set (scripts/test.sh starts PostgreSQL)")
    name = f"ringcast_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    async with admin.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.rsplit("/", 1)[0] + f"/{name}"
    async with admin.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def migrate(url: str, revision: str, down: bool = False) -> None:
    import asyncio

    step = command.downgrade if down else command.upgrade
    await asyncio.to_thread(step, alembic_config(url), revision)


async def run(url: str, *statements: str) -> list[list[tuple[object, ...]]]:
    engine = create_engine(url)
    results = []
    async with engine.begin() as conn:
        for sql in statements:
            result = await conn.execute(text(sql))
            results.append([tuple(r) for r in result.all()] if result.returns_rows else [])
    await engine.dispose()
    return results


SEED = (
    f"INSERT INTO organizations (id, name, timezone, created_at, updated_at)"
    f" VALUES ('org', 'acme', 'UTC', '{NOW}', '{NOW}')",
    "INSERT INTO program_executions (id, organization_id, kind, status, flow_id, flow_name,"
    " flow_version, flow_graph, did_pool, retry_strategy, pause_windows, timezone,"
    " max_concurrent_calls, calls_per_second, auto_pause_rules, total_contacts, created_at,"
    f" updated_at) VALUES ('ex', 'org', 'program', 'running', 'f', 'flow', 1, '{{}}', '[]',"
    f" '{{}}', '{{}}', 'UTC', 1, 1, '[]', 3, '{NOW}', '{NOW}')",
    *(
        "INSERT INTO jobs (execution_id, contact_id, status, attempt_count)"
        f" VALUES ('ex', 'contact-{n}', 'pending', 0)"
        for n in (1, 2, 3)
    ),
    *(
        "INSERT INTO call_attempts (id, job_id, organization_id, execution_id, attempt, status,"
        " direction, to_number, created_at, outcome, events)"
        f" VALUES ('call-{job}-{attempt}', {job}, 'org', 'ex', {attempt}, 'completed',"
        f" 'outbound', '+33600000000', '{NOW}', 'no_answer', '[]')"
        for job, attempt in ((1, 1), (2, 1), (2, 2))
    ),
    *(
        "INSERT INTO recordings (id, organization_id, job_id, storage_key, content_type,"
        f" duration_ms, size_bytes, created_at, updated_at) VALUES ('rec-{n}', 'org', {job},"
        f" 'k', 'audio/wav', 1, 1, '{NOW}', '{NOW}')"
        for n, job in ((1, "2"), (2, "NULL"))
    ),
)
LINKS = (
    "SELECT j.contact_id, a.id FROM call_attempts a JOIN jobs j ON j.id = a.job_id ORDER BY a.id",
    "SELECT r.id, j.contact_id FROM recordings r LEFT JOIN jobs j ON j.id = r.job_id ORDER BY r.id",
    "SELECT id, contact_id FROM jobs ORDER BY id",
)


async def test_job_ids_become_uuids_and_back(fresh_url: str) -> None:
    await migrate(fresh_url, BEFORE)
    await run(fresh_url, *SEED)
    before = await run(fresh_url, *LINKS[:2])

    await migrate(fresh_url, JOB_UUIDS)
    attempts, recordings, jobs = await run(fresh_url, *LINKS)
    assert [attempts, recordings] == before
    # every id a version 7 UUID, in the old order (ORDER BY id = creation order)
    assert all(UUID7.match(str(job_id)) for job_id, _ in jobs), jobs
    assert [contact for _, contact in jobs] == ["contact-1", "contact-2", "contact-3"]
    # the keys hold: a deleted job takes its attempts along, its recording is kept
    (second,) = [job_id for job_id, contact in jobs if contact == "contact-2"]
    await run(fresh_url, f"DELETE FROM jobs WHERE id = '{second}'")
    [[(left,)], orphans] = await run(
        fresh_url,
        "SELECT count(*) FROM call_attempts",
        "SELECT id FROM recordings WHERE job_id IS NULL ORDER BY id",
    )
    assert left == 1
    assert orphans == [("rec-1",), ("rec-2",)]
    (first,) = [job_id for job_id, contact in jobs if contact == "contact-1"]
    with pytest.raises(IntegrityError):  # (job_id, attempt) is still unique
        await run(
            fresh_url,
            "INSERT INTO call_attempts (id, job_id, organization_id, execution_id, attempt,"
            " status, direction, to_number, created_at, outcome, events) VALUES ('again',"
            f" '{first}', 'org', 'ex', 1, 'completed', 'outbound', '+1', '{NOW}', 'x', '[]')",
        )

    await migrate(fresh_url, BEFORE, down=True)
    _, _, numbered = await run(fresh_url, *LINKS)
    assert numbered == [(1, "contact-1"), (2, "contact-3")]
    [[(new_id,)]] = await run(
        fresh_url,
        "INSERT INTO jobs (execution_id, contact_id, status, attempt_count)"
        " VALUES ('ex', 'contact-4', 'pending', 0) RETURNING id",
    )
    assert new_id == 3
