"""Every query the dialer makes (its repository), each in its own short transaction.

The dialer is not a request, so it owns its units of work: one transaction to
claim a batch, one to record each finished call. Claims lock rows with
`for_claim` (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's single writer
with BEGIN IMMEDIATE serialises claims). Recording a call is an optimistic,
guarded update: the job row changes only if it is still `in_progress` under
the same lease owner and attempt number, and (job_id, attempt) is unique, so
two dialers can never both record — or both run — the same attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from ringcast.calls.models import CallAttempt, Job
from ringcast.contacts.models import Contact
from ringcast.db.dialect import dialect_name, for_claim, read_sessions, upsert, writing
from ringcast.dialer.attempts import AttemptRecord
from ringcast.dialer.callee_windows import Screen
from ringcast.dialer.caller_id import PoolEntry
from ringcast.dialer.launcher import TrunkInfo
from ringcast.dialer.next_state import JobUpdate
from ringcast.dialer.trunk_group import parse_group
from ringcast.dids.models import Did
from ringcast.dids.repository import DidRepository
from ringcast.dnc.models import DncEntry
from ringcast.dnc.repository import DncRepository
from ringcast.programs.models import Execution, ExecutionKeyCount, ExecutionNodeCount
from ringcast.programs.repository import ExecutionRepository
from ringcast.programs.status import (
    LIVE,
    TERMINAL,
    ExecutionStatus,
    JobStatus,
    job_sources,
    sources,
)
from ringcast.trunks.models import Trunk
from ringcast.webhooks import events as webhook_events
from ringcast.webhooks.outbox import publish

# A flow opts the callee out by ending the call at a hangup node with this
# reason (e.g. "press 9 to stop these calls"): the number joins the
# organization's do-not-call list when the attempt is recorded.
OPT_OUT_REASON = "opt_out"
# claim passes when a screen defers candidates (timezoneMode "contact")
SCREEN_ROUNDS = 4
CLAIM_LOCK = 0x72696E67  # pg_advisory_xact_lock key of the claims (one call per number)

CONTACT_FIELDS = {
    "primaryPhone": Contact.primary_phone,
    "firstName": Contact.first_name,
    "lastName": Contact.last_name,
    "fullName": Contact.full_name,
    "primaryEmail": Contact.primary_email,
    "city": Contact.city,
    "gender": Contact.gender,
    "customAttributes": Contact.custom_attributes,
}


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    job_id: str
    execution_id: str
    attempt: int  # the number of the attempt this claim is for (1-based)
    contact_id: str
    contact: dict[str, Any] | None  # None: the contact was deleted since launch
    on_dnc: bool


@dataclass(frozen=True, slots=True)
class ExpiredJob:
    job_id: str
    execution_id: str
    attempt: int
    lease_owner: str
    contact_id: str
    phone: str | None = None  # None: the contact was deleted since launch


@dataclass(frozen=True, slots=True)
class NodeNote:
    """A call in progress entered a flow node (what the live view shows)."""

    job_id: str
    attempt: int
    node_id: str
    node_type: str
    entered_at: datetime


@dataclass(frozen=True, slots=True)
class FinishItem:
    """One finished attempt to record (see `DialerStore.finish`): the claim it ends
    (job, lease owner, attempt number), the attempt's row and the job's next state."""

    job_id: str
    owner: str
    attempt: int
    record: AttemptRecord
    job: JobUpdate
    node_counts: Mapping[str, int]
    auto_pause: Sequence[tuple[str, int]]
    caller_id: str | None  # the DID that dialed (its LRU time moves), None if none did
    now: datetime
    key_results: Mapping[str, str] = field(default_factory=dict)  # DTMF node -> key (tallies)


_IN_CHUNK = 500  # ids per IN (...): under SQLite's variable limit


@dataclass(frozen=True, slots=True)
class _Applied:
    """An item whose job moved: what the later steps of `finish` need."""

    item: FinishItem
    job: JobUpdate
    contact_id: str
    program_id: str | None


def _may_become(target: ExecutionStatus) -> ColumnElement[bool]:
    """The SQL guard of an execution's move: it is in a status `target` is allowed from."""
    froms = sources(target)
    return Execution.status == froms[0] if len(froms) == 1 else Execution.status.in_(froms)


def _job_may_become(target: JobStatus) -> ColumnElement[bool]:
    """The SQL guard of a job's move, from the job transition table."""
    froms = job_sources(target)
    return Job.status == froms[0] if len(froms) == 1 else Job.status.in_(froms)


# made once: building them per claim (several a second) cost its time and left each
# time a few hundred objects of cyclic garbage (AliasedClass and its adapters)
_MINE, _THEIRS, _BUSY = aliased(Contact), aliased(Contact), aliased(Job)


def _number_free(organization_id: str) -> ColumnElement[bool]:
    """No other job of the organization is calling this job's number right now (one
    call per number at a time: a second call request, or a program and a call
    request, for the same phone waits until the first call ends).

    The numbers being called are one uncorrelated subquery, read once per claim
    (the in-progress jobs: the partial lease index), not once per candidate and
    busy job: as a correlated NOT EXISTS it cost every candidate a walk of every
    call in progress (issue 19: 200 ms per claim at 1,000 calls in flight). A job in
    progress is never a candidate (those are pending), so "another job" holds."""
    mine, theirs, busy = _MINE, _THEIRS, _BUSY
    my_phone = (
        select(mine.primary_phone).where(mine.id == Job.contact_id).correlate_except(mine)
    ).scalar_subquery()
    calling = (
        select(theirs.primary_phone)
        .join(busy, busy.contact_id == theirs.id)
        .where(
            busy.status == JobStatus.IN_PROGRESS,
            theirs.organization_id == organization_id,
            theirs.primary_phone.is_not(None),  # NOT IN over a NULL is never true
        )
        .correlate(None)
    )
    return or_(my_phone.is_(None), my_phone.not_in(calling))


def trunk_info(t: Trunk) -> TrunkInfo:
    """A trunk row as the launchers' `TrunkInfo` (the seam knows no database rows)."""
    return TrunkInfo(
        t.id, t.host, t.port, t.transport, t.username, t.password, t.from_domain,
        t.max_channels, t.calls_per_second, tuple(t.codecs), bool(t.register),
        t.options_interval_s, t.register_expires_s, t.symmetric_rtp,
        t.strict_media_source, t.max_inbound_calls, t.number_format, t.tech_prefix,
        t.asserted_identity, t.privacy, t.from_user,
        t.tls_ca_bundle, t.tls_server_name, t.tls_client_cert, t.tls_client_key,
        srtp=t.srtp, srtp_over_insecure_signaling=t.srtp_over_insecure_signaling,
        offer_100rel=t.offer_100rel, max_redirects=t.max_redirects,
        max_retry_after_s=t.max_retry_after_s, inbound_digest=t.inbound_digest,
    )  # fmt: skip


# what an execution's webhook event needs, RETURNING from its status update
_EVENT_COLUMNS = (
    Execution.id,
    Execution.organization_id,
    Execution.program_id,
    Execution.kind,
    Execution.status,
)


def _execution_events(
    rows: Sequence[Any], event_type: str, now: datetime
) -> list[webhook_events.Event]:
    """Events for program executions only (a single call reports by call.completed)."""
    return [
        webhook_events.execution_event(
            event_type,
            organization_id=organization_id,
            execution_id=execution_id,
            program_id=program_id,
            status=status,
            at=now,
        )
        for execution_id, organization_id, program_id, kind, status in rows
        if kind == "program"
    ]


class DialerStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Reads run in their own deferred transactions (on SQLite a snapshot that never
        waits for a writer); writes one at a time per engine (`db.dialect.writing`)."""
        self.sessions = sessions
        self._reads = read_sessions(sessions)

    async def _dialect(self, session: AsyncSession) -> str:
        return dialect_name(session)

    # ---- executions --------------------------------------------------------

    async def start_due(self, now: datetime) -> int:
        async with writing(self.sessions) as s:
            started = await s.execute(
                update(Execution)
                .where(
                    Execution.status == ExecutionStatus.SCHEDULED,
                    Execution.scheduled_start_at <= now,
                )
                .values(status=ExecutionStatus.RUNNING, actual_start_at=now, updated_at=now)
                .returning(*_EVENT_COLUMNS)
            )
            rows = started.all()
            await publish(s, _execution_events(rows, "execution.started", now))
        return len(rows)

    async def live_executions(self) -> Sequence[Execution]:
        async with self._reads() as s:
            result = await s.execute(select(Execution).where(Execution.status.in_(LIVE)))
            return result.scalars().all()

    async def execution(self, execution_id: str) -> Execution | None:
        async with self._reads() as s:
            return await s.get(Execution, execution_id)

    async def set_status(self, execution_id: str, target: ExecutionStatus, now: datetime) -> bool:
        """Guarded transition (from a status the table allows `target` from); ending
        statuses also cancel the pending jobs."""
        async with writing(self.sessions) as s:
            values: dict[str, Any] = {"status": target, "updated_at": now}
            if target in TERMINAL:
                values["actual_end_at"] = now
            moved = (
                await s.execute(
                    update(Execution)
                    .where(Execution.id == execution_id, _may_become(target))
                    .values(**values)
                    .returning(*_EVENT_COLUMNS)
                )
            ).all()
            if len(moved) != 1:
                return False
            event_type = webhook_events.status_event_type(target)
            if event_type is not None:
                await publish(s, _execution_events(moved, event_type, now))
            if target in (ExecutionStatus.STOPPED, ExecutionStatus.CANCELLED):
                await ExecutionRepository(s).cancel_pending_jobs(execution_id, now)
            return True

    async def job_activity(self, execution_id: str) -> tuple[int, bool]:
        """(calls in progress, whether any job is still pending)."""
        async with self._reads() as s:
            in_progress = await s.execute(
                select(func.count(Job.id)).where(
                    Job.execution_id == execution_id, Job.status == JobStatus.IN_PROGRESS
                )
            )
            pending = await s.execute(
                select(Job.id)
                .where(Job.execution_id == execution_id, Job.status == JobStatus.PENDING)
                .limit(1)
            )
            return int(in_progress.scalar_one()), pending.first() is not None

    async def node_counts(self, execution_id: str) -> dict[str, int]:
        async with self._reads() as s:
            rows = await s.execute(
                select(ExecutionNodeCount.node_id, ExecutionNodeCount.count).where(
                    ExecutionNodeCount.execution_id == execution_id
                )
            )
            return {node: int(count) for node, count in rows.all()}

    # ---- caller ids and trunks ---------------------------------------------

    async def pool(self, organization_id: str, numbers: Sequence[str]) -> list[PoolEntry]:
        async with self._reads() as s:
            rows = await s.execute(
                select(Did.number, Did.trunk_id, Did.last_used_at, Did.trunk_group).where(
                    Did.organization_id == organization_id, Did.number.in_(numbers)
                )
            )
            found = {n: PoolEntry(n, t, u, parse_group(t, g)) for n, t, u, g in rows.all()}
        # a DID deleted since launch still keeps its place: the number was pinned
        return [found.get(n, PoolEntry(n)) for n in numbers]

    async def trunks(self, organization_id: str) -> tuple[dict[str, TrunkInfo], str | None]:
        async with self._reads() as s:
            rows = (
                (await s.execute(select(Trunk).where(Trunk.organization_id == organization_id)))
                .scalars()
                .all()
            )
        default = next((t.id for t in rows if t.is_default), None)
        infos = {t.id: trunk_info(t) for t in rows}
        return infos, default

    # ---- jobs --------------------------------------------------------------

    async def claim(
        self,
        execution_id: str,
        organization_id: str,
        limit: int,
        owner: str,
        now: datetime,
        lease_until: datetime,
        screen: Screen | None = None,
    ) -> list[ClaimedJob]:
        """Lease up to `limit` due jobs. With a `screen` (timezoneMode "contact") each
        candidate's phone is tested first: a job outside its callee's windows is
        deferred to the instant they open (no lease, no attempt) and the claim
        looks again, up to `SCREEN_ROUNDS` times, to fill the batch.

        One call per number: a job whose phone another job of the organization is
        calling stays pending (it is claimed once that call ends), and of two due jobs
        for one phone only the first is claimed. On PostgreSQL the claims of all dialer
        processes take turns (a transaction lock), so two never both see a number free."""
        async with writing(self.sessions) as s:
            dialect = await self._dialect(s)
            if dialect == "postgresql":
                await s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK})
            ids: list[str] = []
            for _ in range(SCREEN_ROUNDS if screen is not None else 1):
                due = (
                    select(Job.id)
                    .where(
                        Job.execution_id == execution_id,
                        _job_may_become(JobStatus.IN_PROGRESS),
                        Job.next_attempt_at <= now,
                        _number_free(organization_id),
                    )
                    .order_by(Job.next_attempt_at, Job.id)
                    .limit(limit - len(ids))
                )
                found = (await s.execute(for_claim(due, dialect))).scalars().all()
                admitted = await self._one_per_phone(s, found, ids)
                if screen is not None and admitted:
                    admitted = await self._screen(s, admitted, screen, now)
                if admitted:
                    await s.execute(
                        update(Job)
                        .where(Job.id.in_(admitted), _job_may_become(JobStatus.IN_PROGRESS))
                        .values(
                            status=JobStatus.IN_PROGRESS,
                            lease_owner=owner,
                            lease_expires_at=lease_until,
                            attempt_count=Job.attempt_count + 1,
                            updated_at=now,
                            node_id=None,
                            node_type=None,
                            node_entered_at=None,
                        )
                    )
                ids += admitted
                if len(admitted) == len(found) or len(ids) >= limit:
                    break  # nothing deferred: no more due jobs, or the batch is full
            if not ids:
                return []
            rows = await s.execute(
                select(
                    Job.id,
                    Job.attempt_count,
                    Job.contact_id,
                    Contact.id,
                    DncEntry.id,
                    *CONTACT_FIELDS.values(),
                )
                .outerjoin(
                    Contact, and_(Contact.id == Job.contact_id, Contact.deleted_at.is_(None))
                )
                .outerjoin(
                    DncEntry,
                    and_(
                        DncEntry.organization_id == organization_id,
                        DncEntry.phone == Contact.primary_phone,
                    ),
                )
                .where(Job.id.in_(ids), Job.lease_owner == owner)
                .order_by(Job.next_attempt_at, Job.id)
            )
            claimed = []
            for job_id, attempt, contact_id, live_id, dnc_id, *fields in rows.all():
                contact = None
                if live_id is not None:
                    contact = dict(zip(CONTACT_FIELDS, fields, strict=True))
                    contact["id"] = contact_id
                    contact["customAttributes"] = contact["customAttributes"] or {}
                claimed.append(
                    ClaimedJob(
                        job_id, execution_id, attempt, contact_id, contact, dnc_id is not None
                    )
                )
            return claimed

    async def _one_per_phone(
        self, s: AsyncSession, found: Sequence[str], claimed: Sequence[str]
    ) -> list[str]:
        """`found` in order, without a second job for a phone already taken (in this
        batch or in `claimed`, the batch's earlier rounds)."""
        if len(found) + len(claimed) < 2:
            return list(found)
        rows = await s.execute(
            select(Job.id, Contact.primary_phone)
            .outerjoin(Contact, Contact.id == Job.contact_id)
            .where(Job.id.in_([*found, *claimed]))
        )
        phone_of = {row[0]: row[1] for row in rows}
        taken = {phone_of.get(i) for i in claimed} - {None}
        admitted = []
        for job_id in found:
            phone = phone_of.get(job_id)
            if phone is not None and phone in taken:
                continue
            taken.add(phone)
            admitted.append(job_id)
        return admitted

    async def _screen(
        self, s: AsyncSession, ids: Sequence[str], screen: Screen, now: datetime
    ) -> list[str]:
        """The candidates to call now; the others move to their callee's next opening."""
        phones = await s.execute(
            select(Job.id, Contact.primary_phone)
            .outerjoin(Contact, and_(Contact.id == Job.contact_id, Contact.deleted_at.is_(None)))
            .where(Job.id.in_(ids))
        )
        admitted: list[str] = []
        deferred: dict[datetime, list[str]] = {}
        for job_id, phone in phones.all():
            opening = screen(phone)
            if opening is None:
                admitted.append(job_id)
            else:
                deferred.setdefault(opening, []).append(job_id)
        for opening, group in deferred.items():
            await s.execute(
                update(Job).where(Job.id.in_(group)).values(next_attempt_at=opening, updated_at=now)
            )
        return admitted

    async def renew(self, owner: str, job_ids: Sequence[str], lease_until: datetime) -> None:
        if not job_ids:
            return
        async with writing(self.sessions) as s:
            await s.execute(
                update(Job)
                .where(
                    Job.id.in_(job_ids),
                    Job.lease_owner == owner,
                    Job.status == JobStatus.IN_PROGRESS,
                )
                .values(lease_expires_at=lease_until)
            )

    async def note_nodes(self, owner: str, notes: Sequence[NodeNote]) -> None:
        """Write the node each call is in now, in one executemany; guarded by lease
        owner, status and attempt number, so a late note never lands on a job that
        was finished or claimed again meanwhile."""
        if not notes:
            return
        table = cast(Table, Job.__table__)  # Core: an executemany, not an ORM bulk update
        jobs = table.c
        statement = (
            update(table)
            .where(
                jobs.id == bindparam("b_job"),
                jobs.attempt_count == bindparam("b_attempt"),
                jobs.lease_owner == owner,
                jobs.status == JobStatus.IN_PROGRESS,
            )
            .values(
                node_id=bindparam("b_node"),
                node_type=bindparam("b_type"),
                node_entered_at=bindparam("b_at"),
            )
        )
        async with writing(self.sessions) as s:
            await s.execute(
                statement,
                [
                    {
                        "b_job": n.job_id,
                        "b_attempt": n.attempt,
                        "b_node": n.node_id[:100],
                        "b_type": n.node_type[:32],
                        "b_at": n.entered_at,
                    }
                    for n in notes
                ],
            )

    async def expired(self, now: datetime, limit: int) -> list[ExpiredJob]:
        async with self._reads() as s:
            rows = await s.execute(
                select(
                    Job.id,
                    Job.execution_id,
                    Job.attempt_count,
                    Job.lease_owner,
                    Job.contact_id,
                    Contact.primary_phone,
                )
                .outerjoin(
                    Contact, and_(Contact.id == Job.contact_id, Contact.deleted_at.is_(None))
                )
                .where(Job.lease_expires_at < now, Job.status == JobStatus.IN_PROGRESS)
                .limit(limit)
            )
            return [ExpiredJob(i, e, a, o or "", c, p) for i, e, a, o, c, p in rows.all()]

    async def finish(self, items: Sequence[FinishItem]) -> list[bool]:
        """Record attempts and move their jobs on, in ONE transaction (group commit).

        An item is applied only if its job is still in progress under the same
        lease owner and attempt number; otherwise (the lease was lost and the
        job recovered as worker_lost) it is skipped and reported False. Steps:
        move the jobs, insert the attempts, count node runs, apply autoPause,
        add opt-outs to the do-not-call list, move the caller ids' LRU time,
        and publish the events, all committed together.
        """
        if not items:
            return []
        async with writing(self.sessions) as s:
            applied, done = await self._move_jobs(s, items)
            if applied:  # Core: one executemany, no ORM object and unit of work per call
                await s.execute(
                    insert(cast(Table, CallAttempt.__table__)),
                    [
                        {
                            "job_id": a.item.job_id,
                            "attempt": a.item.attempt,
                            **a.item.record.columns(),
                        }
                        for a in applied
                    ],
                )
            events = [self._call_completed(a) for a in applied]
            await self._count_nodes(s, applied)
            await self._count_keys(s, applied)
            events += await self._auto_pause(s, applied, items[-1].now)
            await self._opt_out(s, applied)
            await self._mark_caller_ids(s, applied)
            # in this transaction: the events commit with the attempts or not at all
            await publish(s, events)
            return done

    async def _move_jobs(
        self, s: AsyncSession, items: Sequence[FinishItem]
    ) -> tuple[list[_Applied], list[bool]]:
        """The guarded job updates (and, per item, whether it applied); the
        execution's status picks a retry's `if_ended` fallback.

        Two statements for the whole batch, not one per call: the jobs still in
        progress are read (with their row locks on PostgreSQL; SQLite's BEGIN
        IMMEDIATE already holds the write lock), each item's guard (lease owner and
        attempt number) is checked against them, and the ones that hold are moved in
        one executemany that repeats the guard. The same transaction inserts the
        attempts, so a crash commits all of it or none."""
        execution_ids = {i.record.execution_id for i in items}
        found = await s.execute(
            select(Execution.id, Execution.status, Execution.program_id).where(
                Execution.id.in_(execution_ids)
            )
        )
        executions = {e: (status, program) for e, status, program in found.all()}
        table = cast(Table, Job.__table__)  # Core: an executemany, not an ORM bulk update
        jobs = table.c
        leased: dict[str, tuple[str | None, int, str]] = {}
        ids = list({i.job_id for i in items})
        for chunk in range(0, len(ids), _IN_CHUNK):
            rows = await s.execute(
                select(jobs.id, jobs.lease_owner, jobs.attempt_count, jobs.contact_id)
                .where(jobs.id.in_(ids[chunk : chunk + _IN_CHUNK]))
                .where(jobs.status == JobStatus.IN_PROGRESS)
                .with_for_update()
            )
            leased.update({r[0]: (r[1], int(r[2]), r[3]) for r in rows.all()})
        applied: list[_Applied] = []
        done: list[bool] = []
        params: list[dict[str, Any]] = []
        for item in items:
            status, program_id = executions.get(
                item.record.execution_id, (ExecutionStatus.CANCELLED, None)
            )
            job = item.job.given(status)
            row = leased.get(item.job_id)
            ok = row is not None and row[0] == item.owner and row[1] == item.attempt
            done.append(ok)
            if row is None or not ok:
                continue
            del leased[item.job_id]  # a second item for the same job finds it moved
            applied.append(_Applied(item, job, row[2], program_id))
            params.append(
                {
                    "b_job": item.job_id,
                    "b_owner": item.owner,
                    "b_attempt": item.attempt,
                    "b_status": job.status,
                    "b_next": job.next_attempt_at,
                    "b_outcome": job.final_outcome,
                    "b_now": item.now,
                }
            )
        if params:
            await s.execute(
                update(table)
                .where(
                    jobs.id == bindparam("b_job"),
                    jobs.status == JobStatus.IN_PROGRESS,  # the claim's (JobUpdate checks)
                    jobs.lease_owner == bindparam("b_owner"),
                    jobs.attempt_count == bindparam("b_attempt"),
                )
                .values(
                    status=bindparam("b_status"),
                    next_attempt_at=bindparam("b_next"),
                    final_outcome=bindparam("b_outcome"),
                    lease_owner=None,
                    lease_expires_at=None,
                    updated_at=bindparam("b_now"),
                ),
                params,
            )
        return applied, done

    @staticmethod
    def _call_completed(applied: _Applied) -> webhook_events.Event:
        item = applied.item
        return webhook_events.call_completed(
            item.record.columns(),
            job_id=item.job_id,
            attempt=item.attempt,
            contact_id=applied.contact_id,
            program_id=applied.program_id,
            job_status=applied.job.status,
            next_attempt_at=applied.job.next_attempt_at,
            at=item.now,
        )

    async def _count_nodes(self, s: AsyncSession, applied: Sequence[_Applied]) -> None:
        counts: dict[str, dict[str, int]] = {}
        for a in applied:
            per_node = counts.setdefault(a.item.record.execution_id, {})
            for node, n in a.item.node_counts.items():
                per_node[node] = per_node.get(node, 0) + n
        dialect = await self._dialect(s)
        for execution_id, per_node in counts.items():
            if per_node:
                await self._add_counts(s, dialect, execution_id, per_node)

    async def _count_keys(self, s: AsyncSession, applied: Sequence[_Applied]) -> None:
        """Key-press tallies: one per DTMF node a call ran, under how it ended."""
        counts: dict[tuple[str, str, str], int] = {}
        for a in applied:
            for node, key in a.item.key_results.items():
                at = (a.item.record.execution_id, node[:100], key[:16])
                counts[at] = counts.get(at, 0) + 1
        if not counts:
            return
        stmt = upsert(
            ExecutionKeyCount,
            await self._dialect(s),
            conflict=["execution_id", "node_id", "key"],
            update=lambda excluded: {"count": ExecutionKeyCount.count + excluded.count},
        ).values(
            [
                {"execution_id": e, "node_id": n, "key": k, "count": c}
                for (e, n, k), c in sorted(counts.items())
            ]
        )
        await s.execute(stmt)

    async def _auto_pause(
        self, s: AsyncSession, applied: Sequence[_Applied], now: datetime
    ) -> list[webhook_events.Event]:
        rules = {
            a.item.record.execution_id: a.item.auto_pause for a in applied if a.item.auto_pause
        }
        events: list[webhook_events.Event] = []
        for execution_id, execution_rules in rules.items():
            events += await self._maybe_auto_pause(s, execution_id, execution_rules, now)
        return events

    async def _opt_out(self, s: AsyncSession, applied: Sequence[_Applied]) -> None:
        """A flow that ended with the opt-out reason puts the number on the DNC list."""
        numbers = {
            (a.item.record.organization_id, a.item.record.to_number)
            for a in applied
            if a.item.record.outcome_reason == OPT_OUT_REASON and a.item.record.to_number
        }
        for organization_id, number in numbers:
            await DncRepository(s).add(organization_id, number, "pressed the opt-out key", "flow")

    async def _mark_caller_ids(self, s: AsyncSession, applied: Sequence[_Applied]) -> None:
        """Least-recently-used rotation: the DIDs that dialed were used now."""
        used = {
            (a.item.record.organization_id, a.item.caller_id): a.item.now
            for a in applied
            if a.item.caller_id is not None
        }
        dids = DidRepository(s)
        for (organization_id, number), at in used.items():
            await dids.mark_used(organization_id, number, at)

    async def _add_counts(
        self, s: AsyncSession, dialect: str, execution_id: str, counts: dict[str, int]
    ) -> None:
        stmt = upsert(
            ExecutionNodeCount,
            dialect,
            conflict=["execution_id", "node_id"],
            update=lambda excluded: {"count": ExecutionNodeCount.count + excluded.count},
        ).values(
            [{"execution_id": execution_id, "node_id": n, "count": c} for n, c in counts.items()]
        )
        await s.execute(stmt)

    async def _maybe_auto_pause(
        self, s: AsyncSession, execution_id: str, rules: Sequence[tuple[str, int]], now: datetime
    ) -> list[webhook_events.Event]:
        rows = await s.execute(
            select(ExecutionNodeCount.node_id, ExecutionNodeCount.count).where(
                ExecutionNodeCount.execution_id == execution_id,
                ExecutionNodeCount.node_id.in_([n for n, _ in rules]),
            )
        )
        counts = {node: int(count) for node, count in rows.all()}
        if not any(counts.get(node, 0) >= threshold for node, threshold in rules):
            return []
        paused = await s.execute(
            update(Execution)
            .where(Execution.id == execution_id, _may_become(ExecutionStatus.PAUSED_THRESHOLD))
            .values(status=ExecutionStatus.PAUSED_THRESHOLD, updated_at=now)
            .returning(*_EVENT_COLUMNS)
        )
        return _execution_events(paused.all(), "execution.paused", now)
