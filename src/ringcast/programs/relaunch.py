"""Lead recycling: call again the contacts an execution did not reach.

`POST /api/program-executions/{id}/relaunch` launches the same program again
(its current flow, DID pool, retry strategy, windows and pacing, exactly as a
launch does) over only the contacts whose final outcome in that execution is in
the chosen set; by default every outcome but `completed`. The jobs are copied
in one `INSERT ... SELECT` from the old execution's jobs, leaving out contacts
deleted since.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import Field
from sqlalchemy import ColumnElement, CursorResult, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.calls.models import Job
from ringcast.contacts.models import Contact
from ringcast.db.dialect import dialect_name, with_time_ordered_ids
from ringcast.errors import BadRequestError, ConflictError
from ringcast.kit.schemas import InputSchema
from ringcast.programs import executions
from ringcast.programs import service as programs
from ringcast.programs.models import Execution

FinalOutcome = Literal[
    "completed", "no_answer", "busy", "rejected", "voicemail", "failed", "cancelled"
]
NOT_COMPLETED: tuple[str, ...] = (
    "no_answer",
    "busy",
    "rejected",
    "voicemail",
    "failed",
    "cancelled",
)


class RelaunchBody(InputSchema):
    """`outcomes`: final outcomes to call again (default: all but `completed`;
    a contact never called, e.g. cancelled before its turn, counts as `cancelled`)."""

    outcomes: list[FinalOutcome] | None = Field(None, min_length=1)


class RelaunchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def copy_jobs(
        self, source: Execution, target: Execution, outcomes: Sequence[str], first_at: datetime
    ) -> int:
        wanted: ColumnElement[bool] = Job.final_outcome.in_(outcomes)
        if "cancelled" in outcomes:  # never called: no final outcome recorded
            wanted = or_(wanted, Job.final_outcome.is_(None))
        rows = (
            select(
                literal(target.id),
                Job.contact_id,
                literal("pending"),
                literal(0),
                literal(first_at, Job.next_attempt_at.type),
            )
            .join(Contact, Contact.id == Job.contact_id)
            .where(
                Job.execution_id == source.id,
                Job.status.in_(("completed", "failed", "cancelled")),
                wanted,
                Contact.deleted_at.is_(None),
            )
        )
        columns = [Job.id, Job.execution_id, Job.contact_id, Job.status, Job.attempt_count]
        result = await self.session.execute(
            insert(Job).from_select(
                [*columns, Job.next_attempt_at],
                with_time_ordered_ids(dialect_name(self.session), rows),
            )
        )
        assert isinstance(result, CursorResult)
        return int(result.rowcount)


async def relaunch(
    session: AsyncSession,
    organization_id: str,
    execution_id: str,
    outcomes: Sequence[str] | None,
    now: datetime | None = None,
) -> Execution:
    source = await executions.get(session, organization_id, execution_id)
    if source.program_id is None:
        raise ConflictError(
            "A single call request cannot be relaunched", code="ExecutionNotRelaunchable"
        )
    chosen = tuple(outcomes or NOT_COMPLETED)

    async def snapshot(target: Execution, first_at: datetime) -> int:
        return await RelaunchRepository(session).copy_jobs(source, target, chosen, first_at)

    try:
        return await programs.launch(
            session, organization_id, source.program_id, now, snapshot=snapshot
        )
    except BadRequestError as exc:
        if exc.code != "AudienceEmptyError":
            raise
        raise BadRequestError(
            "No contact of this execution ended with those outcomes",
            code="NothingToRelaunchError",
        ) from exc
