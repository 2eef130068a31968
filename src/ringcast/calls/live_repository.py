"""Queries behind an execution's live view: attempts per minute by outcome,
calls in flight, node run counts. Each is one statement on an index."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.calls.models import CallAttempt, Job
from ringcast.contacts.models import Contact
from ringcast.programs.models import ExecutionKeyCount, ExecutionNodeCount


class InFlightRow(NamedTuple):
    job_id: str
    phone: str | None
    attempt: int
    claimed_at: datetime | None
    node_id: str | None
    node_type: str | None
    node_entered_at: datetime | None


class LiveRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def per_minute(
        self, execution_id: str, since: datetime, minutes: int
    ) -> dict[tuple[int, str], int]:
        """Attempts created in each minute from `since`, by outcome: {(minute, outcome): n}.

        The minute is a portable CASE over bounds computed here (no dialect's
        date functions), grouped in the database: one row per minute and outcome.
        """
        bounds = [since + timedelta(minutes=i + 1) for i in range(minutes)]
        minute = case(
            *((CallAttempt.created_at < bound, literal(i)) for i, bound in enumerate(bounds)),
            else_=literal(minutes),
        )
        rows = await self.session.execute(
            select(minute, CallAttempt.outcome, func.count())
            .where(CallAttempt.execution_id == execution_id, CallAttempt.created_at >= since)
            .group_by(minute, CallAttempt.outcome)
        )
        return {(int(m), str(o)): int(n) for m, o, n in rows.all() if int(m) < minutes}

    async def in_flight(self, execution_id: str, limit: int) -> Sequence[InFlightRow]:
        """Jobs being called, oldest claim first, with the node each call is in."""
        rows = await self.session.execute(
            select(
                Job.id,
                Contact.primary_phone,
                Job.attempt_count,
                Job.updated_at,
                Job.node_id,
                Job.node_type,
                Job.node_entered_at,
            )
            .outerjoin(Contact, Contact.id == Job.contact_id)
            .where(Job.execution_id == execution_id, Job.status == "in_progress")
            .order_by(Job.updated_at, Job.id)
            .limit(limit)
        )
        return [InFlightRow(str(j), p, int(a), u, n, t, e) for j, p, a, u, n, t, e in rows.all()]

    async def key_counts(self, execution_id: str) -> dict[str, dict[str, int]]:
        """DTMF nodes' tallies: {node: {key or timeout/invalid/none: calls}}."""
        rows = await self.session.execute(
            select(ExecutionKeyCount.node_id, ExecutionKeyCount.key, ExecutionKeyCount.count)
            .where(ExecutionKeyCount.execution_id == execution_id)
            .order_by(ExecutionKeyCount.node_id, ExecutionKeyCount.key)
        )
        counts: dict[str, dict[str, int]] = {}
        for node, key, n in rows.all():
            counts.setdefault(node, {})[key] = int(n)
        return counts

    async def node_counts(self, execution_id: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(ExecutionNodeCount.node_id, ExecutionNodeCount.count).where(
                ExecutionNodeCount.execution_id == execution_id
            )
        )
        return {node: int(n) for node, n in rows.all()}
