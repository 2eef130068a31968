"""The main job, end to end: `ringcast demo` at small size must pass its own
self-check (every contact's outcome, attempt count and key match its script)."""

from __future__ import annotations

import asyncio
import os
import uuid

from sqlalchemy import text

from ringcast.db.engine import create_engine
from ringcast.demo.run import Demo, DemoOptions
from ringcast.demo.script import PROFILES
from support import unavailable


def options(tmp_path, **kw) -> DemoOptions:
    return DemoOptions(
        contacts=len(PROFILES) + 4,
        data_dir=tmp_path / "demo",
        concurrency=15,
        pause_after_s=8,
        pause_for_s=6,
        timeout_s=400,
        **kw,
    )


async def test_demo_on_sqlite_passes_its_self_check(tmp_path):
    demo = Demo(options(tmp_path, language="en"))
    assert await demo.run() == 0
    assert len(demo.reports) == len(demo.contacts)
    outcomes = {r["finalOutcome"] for r in demo.reports.values()}
    assert {"completed", "voicemail", "busy", "rejected", "no_answer"} <= outcomes
    assert demo.window_seen


async def test_demo_on_postgresql_with_two_dialer_processes(tmp_path):
    base = os.environ.get("RINGCAST_TEST_PG_URL")
    if not base:
        unavailable("needs PostgreSQL: RINGCAST_TEST_PG_URL (scripts/test.sh starts one)")
    name = f"ringcast_demo_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base)
    async with admin.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = base.rsplit("/", 1)[0] + f"/{name}"
        demo = Demo(options(tmp_path, database_url=url, dialer_processes=2, language="ar"))
        assert await demo.run() == 0
        assert all(p.returncode is not None for p in demo.dialers)
    finally:
        await asyncio.sleep(0.5)
        async with admin.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_demo_survives_a_dialer_killed_mid_campaign(tmp_path):
    """kill -9 of the dialer process mid-way, a new one started: every contact
    still ends with a report, calls cut short come back as worker_lost attempts
    within the retry budget, and no number is ever in two calls at once."""
    demo = Demo(options(tmp_path, dialer_processes=1, kill_dialer_after_s=6.0, dialer_lease_s=8.0))
    assert await demo.run() == 0
    assert demo.killed
    assert len(demo.reports) == len(demo.contacts)
    assert demo.lost_calls >= 1  # the kill really cut calls in flight


def test_self_check_fails_a_call_longer_than_any_script(tmp_path):
    """A call that hung in a node (598 s in issue 21) fails the self-check even when
    its outcome matched the script."""
    demo = Demo(options(tmp_path))
    quick = {"attempt": 1, "call": {"durationMs": 20_000}, "outcomeReason": "ok"}
    hung = {"attempt": 1, "call": {"durationMs": 598_000}, "outcomeReason": "callee_hangup"}
    demo.reports = {"+1": {"jobId": "j1", "attempts": [quick]}}
    assert demo._overlong() == []
    demo.reports["+2"] = {"jobId": "j2", "attempts": [hung]}
    (line,) = demo._overlong()
    assert "j2" in line and "598 s" in line
