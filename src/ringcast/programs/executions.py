"""Execution operations: read with counters, pause / resume / cancel.

Counters come from the jobs themselves (one GROUP BY), so they always sum
to `totalContacts`: pending → contactsPending, in_progress →
contactsInProgress, completed → contactsCompleted, and failed + cancelled
(retries exhausted, cancelled, stopped, do-not-call) → contactsFailed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.errors import ConflictError, NotFoundError
from ringcast.kit.clock import utcnow
from ringcast.kit.pagination import PageParams
from ringcast.programs.models import Execution
from ringcast.programs.repository import ExecutionRepository
from ringcast.programs.schemas import AutoPauseRule
from ringcast.programs.schemas import Execution as ExecutionOut
from ringcast.programs.status import (
    ExecutionStatus,
    IllegalTransitionError,
    JobStatus,
    check_transition,
)
from ringcast.scheduling.windows import PauseWindows
from ringcast.webhooks import events as webhook_events
from ringcast.webhooks.outbox import publish


def effective_status(execution: Execution, now: datetime) -> str:
    if execution.status == ExecutionStatus.PAUSED:
        return "paused_manual"
    if execution.status == ExecutionStatus.RUNNING:
        windows = PauseWindows.from_json(execution.pause_windows, execution.timezone)
        if windows.paused_at(now):
            return "paused_window"
    return execution.status


def to_schema(execution: Execution, counts: dict[str, int], now: datetime) -> ExecutionOut:
    return ExecutionOut(
        id=execution.id,
        organization_id=execution.organization_id,
        program_id=execution.program_id,
        audience_id=execution.audience_id,
        status=execution.status,
        effective_status=effective_status(execution, now),
        total_contacts=execution.total_contacts,
        contacts_completed=counts.get(JobStatus.COMPLETED, 0),
        contacts_failed=counts.get(JobStatus.FAILED, 0) + counts.get(JobStatus.CANCELLED, 0),
        contacts_pending=counts.get(JobStatus.PENDING, 0),
        contacts_in_progress=counts.get(JobStatus.IN_PROGRESS, 0),
        flow_id=execution.flow_id,
        flow_version=execution.flow_version,
        auto_pause_rules=execution.auto_pause_rules,
        scheduled_start_at=execution.scheduled_start_at,
        scheduled_stop_at=execution.scheduled_stop_at,
        actual_start_at=execution.actual_start_at,
        actual_end_at=execution.actual_end_at,
        created_at=execution.created_at,
        updated_at=execution.updated_at,
    )


async def describe(session: AsyncSession, executions: Sequence[Execution]) -> list[ExecutionOut]:
    counts = await ExecutionRepository(session).job_counts([e.id for e in executions])
    now = utcnow()
    return [to_schema(e, counts.get(e.id, {}), now) for e in executions]


async def get(
    session: AsyncSession, organization_id: str, execution_id: str, *, lock: bool = False
) -> Execution:
    execution = await ExecutionRepository(session).get(organization_id, execution_id, lock=lock)
    if execution is None:
        raise NotFoundError("Execution not found", code="EXECUTION_NOT_FOUND")
    return execution


async def page_for_organization(
    session: AsyncSession,
    organization_id: str,
    status: ExecutionStatus | None,
    params: PageParams,
) -> tuple[Sequence[Execution], int]:
    return await ExecutionRepository(session).page_for_organization(organization_id, status, params)


async def page_for_program(
    session: AsyncSession, organization_id: str, program_id: str, params: PageParams
) -> tuple[Sequence[Execution], int]:
    return await ExecutionRepository(session).page_for_program(organization_id, program_id, params)


def move(execution: Execution, target: ExecutionStatus) -> None:
    """Apply a status transition, or a 409 naming the current status."""
    try:
        check_transition(execution.status, target)
    except IllegalTransitionError as exc:
        raise ConflictError(
            f"Execution is {execution.status}; it cannot become {target}",
            code="EXECUTION_STATE_CONFLICT",
            extra={"currentStatus": execution.status},
        ) from exc
    execution.status = target


async def announce(
    session: AsyncSession, execution: Execution, event_type: str, now: datetime
) -> None:
    """Queue the execution's webhook event in this unit of work (program executions)."""
    if execution.kind != "program":
        return
    event = webhook_events.execution_event(
        event_type,
        organization_id=execution.organization_id,
        execution_id=execution.id,
        program_id=execution.program_id,
        status=execution.status,
        at=now,
    )
    await publish(session, [event])


async def pause(session: AsyncSession, organization_id: str, execution_id: str) -> Execution:
    """No new calls; calls in progress finish; the retry schedule is kept."""
    execution = await get(session, organization_id, execution_id, lock=True)
    move(execution, ExecutionStatus.PAUSED)
    await session.flush()
    await announce(session, execution, "execution.paused", utcnow())
    return execution


async def resume(
    session: AsyncSession,
    organization_id: str,
    execution_id: str,
    rules: list[AutoPauseRule] | None,
    now: datetime | None = None,
) -> Execution:
    now = now or utcnow()
    execution = await get(session, organization_id, execution_id, lock=True)
    waiting = execution.scheduled_start_at is not None and execution.scheduled_start_at > now
    target = ExecutionStatus.RUNNING
    if waiting and execution.actual_start_at is None:
        target = ExecutionStatus.SCHEDULED
    move(execution, target)
    if rules is not None:
        execution.auto_pause_rules = [r.model_dump(mode="json", by_alias=True) for r in rules]
    resets = [r["nodeId"] for r in execution.auto_pause_rules if r.get("resetOnResume")]
    await ExecutionRepository(session).reset_node_counts(execution.id, resets)
    first_start = target == ExecutionStatus.RUNNING and execution.actual_start_at is None
    if first_start:
        execution.actual_start_at = now
    await session.flush()
    await announce(session, execution, "execution.resumed", now)
    if first_start:  # it was paused before its start time came
        await announce(session, execution, "execution.started", now)
    return execution


async def cancel(
    session: AsyncSession, organization_id: str, execution_id: str, now: datetime | None = None
) -> Execution:
    """Permanent: pending contacts become cancelled; calls in progress finish."""
    now = now or utcnow()
    execution = await get(session, organization_id, execution_id, lock=True)
    move(execution, ExecutionStatus.CANCELLED)
    await ExecutionRepository(session).cancel_pending_jobs(execution.id, now)
    execution.actual_end_at = now
    await session.flush()
    await announce(session, execution, "execution.cancelled", now)
    return execution
