"""Program and execution queries, including the launch snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import CursorResult, delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.audiences.models import AudienceMember
from ringcast.calls.models import Job
from ringcast.contacts.models import Contact
from ringcast.db.dialect import dialect_name, with_time_ordered_ids
from ringcast.kit.pagination import PageParams
from ringcast.kit.repository import paginate
from ringcast.programs.models import Execution, ExecutionNodeCount, Program
from ringcast.programs.status import LIVE, JobStatus, check_job_transition

SORTABLE = {"name": Program.name, "createdAt": Program.created_at, "status": Program.status}


class ProgramRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: str, program_id: str) -> Program | None:
        result = await self.session.execute(
            select(Program).where(
                Program.id == program_id, Program.organization_id == organization_id
            )
        )
        return result.scalar_one_or_none()

    async def page(
        self, organization_id: str, params: PageParams, sort: str
    ) -> tuple[Sequence[Program], int]:
        stmt = select(Program).where(Program.organization_id == organization_id)
        if params.search:
            stmt = stmt.where(Program.name.ilike(f"%{params.search}%"))
        return await paginate(self.session, stmt, params, SORTABLE[sort], Program.id)

    async def add(self, program: Program) -> Program:
        self.session.add(program)
        await self.session.flush()
        return program

    async def delete(self, program: Program) -> None:
        await self.session.delete(program)
        await self.session.flush()


class ExecutionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, organization_id: str, execution_id: str, *, lock: bool = False
    ) -> Execution | None:
        stmt = select(Execution).where(
            Execution.id == execution_id, Execution.organization_id == organization_id
        )
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def live_for_program(self, program_id: str) -> Execution | None:
        result = await self.session.execute(
            select(Execution).where(Execution.program_id == program_id, Execution.status.in_(LIVE))
        )
        return result.scalars().first()

    async def count_for_program(self, program_id: str) -> int:
        result = await self.session.execute(
            select(func.count(Execution.id)).where(Execution.program_id == program_id)
        )
        return int(result.scalar_one())

    async def page_for_organization(
        self, organization_id: str, status: str | None, params: PageParams
    ) -> tuple[Sequence[Execution], int]:
        """Program executions (single calls are reported as jobs, not here)."""
        stmt = select(Execution).where(
            Execution.organization_id == organization_id, Execution.kind == "program"
        )
        if status is not None:
            stmt = stmt.where(Execution.status == status)
        return await paginate(self.session, stmt, params, Execution.created_at)

    async def page_for_program(
        self, organization_id: str, program_id: str, params: PageParams
    ) -> tuple[Sequence[Execution], int]:
        stmt = select(Execution).where(
            Execution.organization_id == organization_id, Execution.program_id == program_id
        )
        return await paginate(self.session, stmt, params, Execution.created_at)

    async def add(self, execution: Execution) -> Execution:
        self.session.add(execution)
        await self.session.flush()
        return execution

    async def snapshot_audience(
        self, execution: Execution, audience_id: str, first_attempt_at: datetime
    ) -> int:
        """One job per live audience member, in ONE set-based statement.

        Memberships of soft-deleted contacts must be left out. Joining every
        member to `contacts` costs a random lookup per row (most of the time
        at a million, 3.6x the raw statement), so when the organization has no
        deleted contact at all (one probe of the partial index of deleted
        contacts) the members are taken as they are, and otherwise only the
        deleted ones are read (from that index) and left out.
        """
        org = execution.organization_id
        members = select(
            literal(execution.id),
            AudienceMember.contact_id,
            literal(JobStatus.PENDING.value),
            literal(0),
            literal(first_attempt_at, Job.next_attempt_at.type),
        ).where(AudienceMember.audience_id == audience_id)
        if await self._has_deleted_contacts(org):
            # an anti-join against the (few) deleted contacts, not a join to every
            # live one: the subquery is read once into a hash / ephemeral index
            deleted = select(Contact.id).where(
                Contact.organization_id == org, Contact.deleted_at.is_not(None)
            )
            members = members.where(AudienceMember.contact_id.not_in(deleted))
        rows = with_time_ordered_ids(dialect_name(self.session), members)
        columns = [
            Job.id,
            Job.execution_id,
            Job.contact_id,
            Job.status,
            Job.attempt_count,
            Job.next_attempt_at,
        ]
        result = await self.session.execute(insert(Job).from_select(columns, rows))
        assert isinstance(result, CursorResult)
        return int(result.rowcount)

    async def _has_deleted_contacts(self, organization_id: str) -> bool:
        """Whether the organization has a soft-deleted contact: one probe of the
        partial index of deleted contacts (`ix_contacts_org_deleted`)."""
        deleted = (
            select(Contact.id)
            .where(Contact.organization_id == organization_id, Contact.deleted_at.is_not(None))
            .limit(1)
        )
        return (await self.session.execute(deleted)).first() is not None

    async def job_counts(self, execution_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        if not execution_ids:
            return {}
        rows = await self.session.execute(
            select(Job.execution_id, Job.status, func.count())
            .where(Job.execution_id.in_(execution_ids))
            .group_by(Job.execution_id, Job.status)
        )
        counts: dict[str, dict[str, int]] = {}
        for execution_id, status, count in rows.all():
            counts.setdefault(execution_id, {})[status] = int(count)
        return counts

    async def cancel_pending_jobs(self, execution_id: str, now: datetime) -> int:
        """The one way pending jobs are cancelled (the API's cancel, the dialer's stop)."""
        check_job_transition(JobStatus.PENDING, JobStatus.CANCELLED)
        result = await self.session.execute(
            update(Job)
            .where(Job.execution_id == execution_id, Job.status == JobStatus.PENDING)
            .values(
                status=JobStatus.CANCELLED,
                final_outcome="cancelled",
                next_attempt_at=None,
                updated_at=now,
            )
        )
        assert isinstance(result, CursorResult)
        return int(result.rowcount)

    async def reset_node_counts(self, execution_id: str, node_ids: Sequence[str]) -> None:
        if node_ids:
            await self.session.execute(
                delete(ExecutionNodeCount).where(
                    ExecutionNodeCount.execution_id == execution_id,
                    ExecutionNodeCount.node_id.in_(node_ids),
                )
            )

    async def live_with_program(
        self, organization_id: str, limit: int = 100
    ) -> list[tuple[Execution, str]]:
        """The organization's live program executions, newest first, with the program's name."""
        rows = await self.session.execute(
            select(Execution, Program.name)
            .join(Program, Program.id == Execution.program_id)
            .where(Execution.organization_id == organization_id, Execution.status.in_(LIVE))
            .order_by(Execution.created_at.desc(), Execution.id)
            .limit(limit)
        )
        return [(execution, name) for execution, name in rows.all()]
