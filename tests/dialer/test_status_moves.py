"""Execution and job statuses move only through their transition tables; the one way
pending jobs are cancelled clears their next attempt time (API cancel and dialer stop)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialer.dialer_kit import clock_now, dialer, jobs, launch, scripted, tick
from ringcast.dialer.next_state import JobUpdate
from ringcast.programs.status import (
    JOB_TRANSITIONS,
    TRANSITIONS,
    ExecutionStatus,
    IllegalTransitionError,
    JobStatus,
    check_job_transition,
    job_sources,
    sources,
)


def test_status_values_are_the_stored_strings():
    assert [s.value for s in ExecutionStatus] == [
        "scheduled",
        "running",
        "paused",
        "paused_threshold",
        "completed",
        "stopped",
        "cancelled",
    ]
    assert ExecutionStatus.RUNNING == "running" and JobStatus.IN_PROGRESS == "in_progress"


def test_sources_invert_the_tables():
    for table, find in ((TRANSITIONS, sources), (JOB_TRANSITIONS, job_sources)):
        for current, targets in table.items():
            for target in targets:
                assert current in find(target)  # type: ignore[operator]
    assert sources(ExecutionStatus.PAUSED_THRESHOLD) == (ExecutionStatus.RUNNING,)
    assert job_sources(JobStatus.IN_PROGRESS) == (JobStatus.PENDING,)


def test_a_job_never_leaves_a_final_status():
    with pytest.raises(IllegalTransitionError):
        check_job_transition("completed", "pending")
    with pytest.raises(IllegalTransitionError):
        JobUpdate(JobStatus.IN_PROGRESS, None, None)  # a record never re-claims


async def test_jobs_cancelled_by_the_dialer_stop_have_no_next_attempt_time(api):
    stop = datetime.now(UTC) + timedelta(minutes=30)
    _, eid = await launch(api, contacts=4, maxConcurrentCalls=1, stopAt=stop.isoformat())
    clock = clock_now()
    d = dialer(api, scripted(), clock)
    await tick(d, clock)
    clock.set(stop + timedelta(seconds=1))
    await tick(d, clock)
    cancelled = [j for j in await jobs(api, eid) if j.status == "cancelled"]
    assert len(cancelled) == 3
    assert all(j.next_attempt_at is None for j in cancelled)


async def test_jobs_cancelled_through_the_api_have_no_next_attempt_time(api):
    _, eid = await launch(api, contacts=3)
    r = await api.client.patch(f"/api/program-executions/{eid}/cancel", headers=api.acme.headers())
    assert r.status_code == 200, r.text
    found = await jobs(api, eid)
    assert [j.status for j in found] == ["cancelled"] * 3
    assert all(j.next_attempt_at is None for j in found)
