"""The export's queries: executions in scope, then jobs in keyset batches with
everything one row needs (contact, attempts, recordings), three queries a batch."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.calls.models import CallAttempt, Job, Recording
from ringcast.contacts.models import Contact, CustomAttribute
from ringcast.programs.models import Execution


@dataclass(slots=True)
class JobBundle:
    job: Job
    contact: Contact | None
    attempts: list[CallAttempt] = field(default_factory=list)
    recordings: list[Recording] = field(default_factory=list)


class ExportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def executions(
        self,
        organization_id: str,
        *,
        execution_id: str | None = None,
        program_id: str | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
    ) -> Sequence[Execution]:
        """The organization's executions in scope, oldest first."""
        where = [Execution.organization_id == organization_id]
        if execution_id is not None:
            where.append(Execution.id == execution_id)
        if program_id is not None:
            where.append(Execution.program_id == program_id)
        if created_from is not None:
            where.append(Execution.created_at >= created_from)
        if created_to is not None:
            where.append(Execution.created_at < created_to)
        rows = await self.session.execute(
            select(Execution).where(*where).order_by(Execution.created_at, Execution.id)
        )
        return rows.scalars().all()

    async def executions_by_id(
        self, organization_id: str, execution_ids: Sequence[str]
    ) -> Sequence[Execution]:
        if not execution_ids:
            return []
        rows = await self.session.execute(
            select(Execution)
            .where(Execution.organization_id == organization_id, Execution.id.in_(execution_ids))
            .order_by(Execution.created_at, Execution.id)
        )
        return rows.scalars().all()

    async def attribute_names(self, organization_id: str) -> list[str]:
        rows = await self.session.execute(
            select(CustomAttribute.name)
            .where(
                CustomAttribute.organization_id == organization_id,
                CustomAttribute.deleted_at.is_(None),
            )
            .order_by(CustomAttribute.name)
        )
        return list(rows.scalars().all())

    async def bundles(
        self, execution_ids: Sequence[str], batch: int = 500, with_recordings: bool = True
    ) -> AsyncIterator[list[JobBundle]]:
        """Jobs of these executions in id order, `batch` at a time.

        Job ids are time-ordered UUIDs and a launch makes an execution's jobs
        in one statement, so they sit (nearly) together in the primary key: the
        jobs are read by keyset over the primary key between the executions'
        first and last id. The execution filter is wrapped in COALESCE on
        purpose: as a bare column the planners pick the claim index
        (execution_id, ...) and sort every job of the execution for each batch,
        quadratic in the execution's size.
        """
        bounds = (
            await self.session.execute(
                select(func.min(Job.id), func.max(Job.id)).where(
                    Job.execution_id.in_(execution_ids)
                )
            )
        ).one()
        if bounds[0] is None:
            return
        after, last = str(bounds[0]), str(bounds[1])
        in_scope = func.coalesce(Job.execution_id, "").in_(execution_ids)
        first = True
        while True:
            start = Job.id >= after if first else Job.id > after
            jobs = (
                (
                    await self.session.execute(
                        select(Job)
                        .where(in_scope, start, Job.id <= last)
                        .order_by(Job.id)
                        .limit(batch)
                    )
                )
                .scalars()
                .all()
            )
            if not jobs:
                return
            first, after = False, jobs[-1].id
            yield await self._bundle(jobs, with_recordings)
            # the rows are written: let the session forget them (bounded memory)
            self.session.expunge_all()

    async def _bundle(self, jobs: Sequence[Job], with_recordings: bool) -> list[JobBundle]:
        job_ids = [j.id for j in jobs]
        contact_ids = list({j.contact_id for j in jobs})
        contacts = {
            c.id: c
            for c in (
                await self.session.execute(select(Contact).where(Contact.id.in_(contact_ids)))
            ).scalars()
        }
        bundles = {j.id: JobBundle(j, contacts.get(j.contact_id)) for j in jobs}
        attempts = await self.session.execute(
            select(CallAttempt)
            .where(CallAttempt.job_id.in_(job_ids))
            .order_by(CallAttempt.job_id, CallAttempt.attempt)
        )
        for attempt in attempts.scalars():
            bundles[attempt.job_id].attempts.append(attempt)
        if not with_recordings:
            return list(bundles.values())
        # recordings.job_id has no index: only flows with a Record node ask
        recordings = await self.session.execute(
            select(Recording)
            .where(Recording.job_id.in_(job_ids))
            .order_by(Recording.created_at, Recording.id)
        )
        for recording in recordings.scalars():
            if recording.job_id is not None:
                bundles[recording.job_id].recordings.append(recording)
        return list(bundles.values())
