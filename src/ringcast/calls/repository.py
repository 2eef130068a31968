from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from ringcast.calls.models import CallAttempt, Job, Recording
from ringcast.contacts.models import Contact
from ringcast.kit.pagination import PageParams
from ringcast.kit.repository import like_pattern, paginate
from ringcast.programs.models import Execution


@dataclass(frozen=True, slots=True)
class CallFilters:
    direction: str | None = None
    outcome: str | None = None
    execution_id: str | None = None


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: str, job_id: str) -> tuple[Job, Execution] | None:
        result = await self.session.execute(
            select(Job, Execution)
            .join(Execution, Execution.id == Job.execution_id)
            .where(Job.id == job_id, Execution.organization_id == organization_id)
        )
        row = result.first()
        return (row[0], row[1]) if row is not None else None

    async def attempts(self, job_ids: Sequence[str]) -> Sequence[CallAttempt]:
        result = await self.session.execute(
            select(CallAttempt)
            .where(CallAttempt.job_id.in_(job_ids))
            .order_by(CallAttempt.job_id, CallAttempt.attempt)
        )
        return result.scalars().all()

    async def add(self, job: Job) -> Job:
        self.session.add(job)
        await self.session.flush()
        return job

    async def export_rows(
        self, organization_id: str, execution_ids: Sequence[str], batch: int = 1000
    ) -> AsyncIterator[tuple[Job, str | None, CallAttempt | None]]:
        """Jobs with their phone and attempts, streamed in id order (creation order:
        job ids are time-ordered UUIDs)."""
        last = ""
        while True:
            jobs = (
                await self.session.execute(
                    select(Job, Contact.primary_phone)
                    .join(Execution, Execution.id == Job.execution_id)
                    .outerjoin(Contact, Contact.id == Job.contact_id)
                    .where(
                        Execution.organization_id == organization_id,
                        Job.execution_id.in_(execution_ids),
                        Job.id > last,
                    )
                    .order_by(Job.id)
                    .limit(batch)
                )
            ).all()
            if not jobs:
                return
            attempts: dict[str, list[CallAttempt]] = {}
            for attempt in await self.attempts([j.id for j, _ in jobs]):
                attempts.setdefault(attempt.job_id, []).append(attempt)
            for job, phone in jobs:
                for attempt in attempts.get(job.id) or [None]:  # type: ignore[list-item]
                    yield job, phone, attempt
            last = jobs[-1][0].id


class CallAttemptRepository:
    """Aggregates over call attempts (the dashboard's outcome counts and call rate)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, organization_id: str, params: PageParams, filters: CallFilters
    ) -> tuple[Sequence[CallAttempt], int]:
        """The organization's calls, newest first by default; `search` matches a number."""
        stmt = select(CallAttempt).where(CallAttempt.organization_id == organization_id)
        if filters.direction is not None:
            stmt = stmt.where(CallAttempt.direction == filters.direction)
        if filters.outcome is not None:
            stmt = stmt.where(CallAttempt.outcome == filters.outcome)
        if filters.execution_id is not None:
            stmt = stmt.where(CallAttempt.execution_id == filters.execution_id)
        if params.search:
            like = like_pattern(params.search)
            stmt = stmt.where(
                or_(
                    CallAttempt.from_number.like(like, escape="\\"),
                    CallAttempt.to_number.like(like, escape="\\"),
                )
            )
        params.checked_sort(("createdAt",), "createdAt")
        return await paginate(self.session, stmt, params, CallAttempt.created_at, CallAttempt.id)

    async def outcome_counts(
        self, execution_ids: Sequence[str]
    ) -> dict[str, dict[tuple[str, str | None], int]]:
        """Attempts per execution by (outcome, answeredBy), one GROUP BY."""
        if not execution_ids:
            return {}
        rows = await self.session.execute(
            select(
                CallAttempt.execution_id,
                CallAttempt.outcome,
                CallAttempt.answered_by,
                func.count(),
            )
            .where(CallAttempt.execution_id.in_(execution_ids))
            .group_by(CallAttempt.execution_id, CallAttempt.outcome, CallAttempt.answered_by)
        )
        counts: dict[str, dict[tuple[str, str | None], int]] = {}
        for execution_id, outcome, answered_by, count in rows.all():
            counts.setdefault(execution_id, {})[(outcome, answered_by)] = int(count)
        return counts

    async def started_since(self, execution_ids: Sequence[str], since: datetime) -> dict[str, int]:
        """Attempts per execution created at or after `since`."""
        if not execution_ids:
            return {}
        rows = await self.session.execute(
            select(CallAttempt.execution_id, func.count())
            .where(CallAttempt.execution_id.in_(execution_ids), CallAttempt.created_at >= since)
            .group_by(CallAttempt.execution_id)
        )
        return {execution_id: int(count) for execution_id, count in rows.all()}

    async def latest(
        self, organization_id: str, execution_id: str, limit: int
    ) -> Sequence[CallAttempt]:
        """The execution's most recent attempts, without their (large) trace columns."""
        result = await self.session.execute(
            select(CallAttempt)
            .options(
                load_only(
                    CallAttempt.job_id,
                    CallAttempt.attempt,
                    CallAttempt.to_number,
                    CallAttempt.outcome,
                    CallAttempt.outcome_reason,
                    CallAttempt.answered_by,
                    CallAttempt.duration_ms,
                    CallAttempt.created_at,
                )
            )
            .where(
                CallAttempt.organization_id == organization_id,
                CallAttempt.execution_id == execution_id,
            )
            .order_by(CallAttempt.created_at.desc(), CallAttempt.id.desc())
            .limit(limit)
        )
        return result.scalars().all()


class RecordingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: str, recording_id: str) -> Recording | None:
        result = await self.session.execute(
            select(Recording).where(
                Recording.id == recording_id, Recording.organization_id == organization_id
            )
        )
        return result.scalar_one_or_none()

    async def page(
        self, organization_id: str, params: PageParams, job_id: str | None
    ) -> tuple[Sequence[Recording], int]:
        where = [Recording.organization_id == organization_id]
        if job_id is not None:
            where.append(Recording.job_id == job_id)
        total = (
            await self.session.execute(select(func.count(Recording.id)).where(*where))
        ).scalar_one()
        order = (
            Recording.created_at.asc()
            if params.sort_order == "asc"
            else Recording.created_at.desc()
        )
        rows = await self.session.execute(
            select(Recording)
            .where(*where)
            .order_by(order, Recording.id)
            .offset(params.offset)
            .limit(params.limit)
        )
        return rows.scalars().all(), int(total)

    async def add(self, recording: Recording) -> Recording:
        self.session.add(recording)
        await self.session.flush()
        return recording

    async def delete(self, recording: Recording) -> None:
        await self.session.delete(recording)
        await self.session.flush()
