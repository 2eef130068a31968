"""Single call requests and call reports.

A single call is an execution of kind `single` (no program) with one job:
the dialer treats it like any other execution (pacing, caller id, leases,
retries), and its report is built the same way. `create_call_request` is
also what `/api/flows/execute` in `live` mode calls.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.auth.repository import OrganizationRepository
from ringcast.calls.amd import amd_summary
from ringcast.calls.models import CallAttempt, Job
from ringcast.calls.repository import CallAttemptRepository, CallFilters, JobRepository
from ringcast.calls.schemas import AttemptReport, CallInfo, CallLeg, CallReport, CallSummary
from ringcast.contacts.repository import ContactRepository
from ringcast.dids.repository import DidRepository
from ringcast.errors import FieldIssue, NotFoundError, ValidationFailedError
from ringcast.kit.clock import utcnow
from ringcast.kit.pagination import PageParams
from ringcast.programs.repository import ExecutionRepository
from ringcast.programs.service import build_execution, pinned_flow, resolve_pool
from ringcast.programs.status import ExecutionStatus, JobStatus

REPORT_STATUS = {
    JobStatus.PENDING: "queued",
    JobStatus.IN_PROGRESS: "active",
    JobStatus.COMPLETED: "completed",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "failed",
}


async def _caller_ids(
    session: AsyncSession, organization_id: str, did_id: str | None, from_number: str | None
) -> list[str]:
    if did_id is not None:
        did = await DidRepository(session).get(organization_id, did_id)
        if did is None or did.status != "active":
            raise ValidationFailedError.single(
                "didId", "did_not_active", "didId must be an active DID of yours"
            )
        return [did.number]
    try:
        return await resolve_pool(session, organization_id, [from_number] if from_number else [])
    except ValidationFailedError as exc:
        path = "fromNumber" if from_number else "didId"
        raise ValidationFailedError(
            exc.message, issues=[FieldIssue(path, i.code, i.message) for i in exc.issues]
        ) from exc


async def create_call_request(
    session: AsyncSession,
    organization_id: str,
    *,
    contact_id: str,
    flow_id: str,
    did_id: str | None = None,
    from_number: str | None = None,
    retry: Mapping[str, Any] | None = None,
    start_at: datetime | None = None,
    now: datetime | None = None,
) -> Job:
    """Queue one call; the dialer places it. `retry` is the API's retryStrategy JSON."""
    now = now or utcnow()
    issues = []
    if await ContactRepository(session).get(organization_id, contact_id) is None:
        issues.append(FieldIssue("contactId", "not_found", "No such contact"))
    pinned = await pinned_flow(session, organization_id, flow_id)
    if pinned is None:
        issues.append(FieldIssue("flowId", "not_found", "No such flow"))
    if issues:
        raise ValidationFailedError("Invalid call request", issues=issues)
    assert pinned is not None
    pool = await _caller_ids(session, organization_id, did_id, from_number)
    org = await OrganizationRepository(session).get(organization_id)
    execution = await ExecutionRepository(session).add(
        build_execution(
            organization_id,
            pinned,
            pool,
            now,
            kind="single",
            program_id=None,
            audience_id=None,
            start_at=start_at,
            stop_at=None,
            retry_strategy=dict(retry or {"type": "none"}),
            pause_windows={},
            timezone=org.timezone if org is not None else "UTC",
            timezone_mode="program",
            max_concurrent_calls=1,
            calls_per_second=1.0,
            auto_pause_rules=[],
            total_contacts=1,
        )
    )
    scheduled = execution.status == ExecutionStatus.SCHEDULED
    first_at = start_at if scheduled and start_at is not None else now
    return await JobRepository(session).add(
        Job(
            execution_id=execution.id,
            contact_id=contact_id,
            status=JobStatus.PENDING,
            attempt_count=0,
            next_attempt_at=first_at,
        )
    )


def attempt_report(attempt: CallAttempt) -> AttemptReport:
    amd = amd_summary(attempt)
    return AttemptReport(
        call_id=attempt.id,
        attempt=attempt.attempt,
        call=CallInfo.model_validate(
            {
                "status": attempt.status,
                "direction": attempt.direction,
                "from": attempt.from_number,
                "to": attempt.to_number,
                "created_at": attempt.created_at,
                "dialed_at": attempt.dialed_at,
                "answered_at": attempt.answered_at,
                "terminated_at": attempt.terminated_at,
                "duration_ms": attempt.duration_ms,
            }
        ),
        outcome=attempt.outcome,
        outcome_reason=attempt.outcome_reason,
        answered_by=amd.answered_by,
        amd_reason=amd.reason,
        amd_decision_ms=amd.decision_ms,
        amd_greeting_ms=amd.greeting_ms,
        flow_execution=report_flow_execution(attempt.flow_execution),
        events=attempt.events,
        legs=[CallLeg.model_validate(leg) for leg in attempt.legs or ()],
        trunk_id=attempt.trunk_id,
        trunks_tried=attempt.trunks_tried or ([attempt.trunk_id] if attempt.trunk_id else []),
    )


async def list_calls(
    session: AsyncSession, organization_id: str, params: PageParams, filters: CallFilters
) -> tuple[list[CallSummary], int]:
    """The organization's calls (attempts), outbound and inbound: the API's list and the
    dashboard's calls page."""
    rows, total = await CallAttemptRepository(session).page(organization_id, params, filters)
    return [call_summary(a) for a in rows], total


def call_summary(attempt: CallAttempt) -> CallSummary:
    return CallSummary.model_validate(
        {
            "job_id": str(attempt.job_id),
            "execution_id": attempt.execution_id,
            "call_id": attempt.id,
            "attempt": attempt.attempt,
            "direction": attempt.direction,
            "from": attempt.from_number,
            "to": attempt.to_number,
            "status": attempt.status,
            "outcome": attempt.outcome,
            "outcome_reason": attempt.outcome_reason,
            "created_at": attempt.created_at,
            "answered_at": attempt.answered_at,
            "duration_ms": attempt.duration_ms,
        }
    )


def report_flow_execution(stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """The report's `flowExecution`: `nodeExecutionCount` is the number of node runs
    in total (Gomobile's type); the per-node counts are `nodeExecutionCounts`. The
    trace stores the per-node map, so attempts recorded before read the same way."""
    if stored is None:
        return None
    counts = stored.get("nodeExecutionCount")
    if not isinstance(counts, dict):
        return stored
    shaped = {k: v for k, v in stored.items() if k != "nodeExecutionCount"}
    shaped["nodeExecutionCount"] = sum(int(n) for n in counts.values())
    shaped["nodeExecutionCounts"] = counts
    return shaped


def parse_job_id(job_id: str) -> str | None:
    """A job id as stored (a UUID, lower case), or None when `job_id` cannot be one."""
    if len(job_id) > 45 or not job_id.isascii():
        return None
    try:
        return str(uuid.UUID(job_id))
    except ValueError:
        return None


async def call_report(session: AsyncSession, organization_id: str, job_id: str) -> CallReport:
    parsed = parse_job_id(job_id)
    found = await JobRepository(session).get(organization_id, parsed) if parsed else None
    if found is None:
        raise NotFoundError("No call job with this id", code="JOB_NOT_FOUND")
    job, execution = found
    attempts = await JobRepository(session).attempts([job.id])
    return CallReport(
        job_id=job.id,
        execution_id=execution.id,
        program_id=execution.program_id,
        contact_id=job.contact_id,
        status=REPORT_STATUS[JobStatus(job.status)],
        final_outcome=job.final_outcome,
        attempt_count=job.attempt_count,
        next_attempt_at=job.next_attempt_at if job.status == JobStatus.PENDING else None,
        attempts=[attempt_report(a) for a in attempts],
    )
