"""What the pages show, built from the domain services and repositories.

Counters are the API's own (`programs.executions.describe`: one GROUP BY over
jobs). Outcomes count call attempts, one GROUP BY over (outcome, answeredBy);
the call rate counts attempts started in the last `RATE_WINDOW`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.calls.models import CallAttempt
from ringcast.calls.repository import CallAttemptRepository
from ringcast.programs import executions
from ringcast.programs.models import Execution
from ringcast.programs.repository import ExecutionRepository
from ringcast.programs.schemas import Execution as ExecutionOut

RATE_WINDOW = timedelta(minutes=5)
LATEST_ATTEMPTS = 50
PAUSABLE = frozenset({"scheduled", "running", "paused_threshold"})
RESUMABLE = frozenset({"paused", "paused_threshold"})
CANCELLABLE = frozenset({"scheduled", "running", "paused", "paused_threshold"})

OutcomeCounts = Mapping[tuple[str, str | None], int]


@dataclass(frozen=True, slots=True)
class Outcomes:
    """Attempts by what happened: a person answered, a machine did, or no one.

    `human`: the flow ran as answered by a person (AMD said human, or AMD was
    off or undecided and the call was not routed to voicemail); `machine`:
    AMD heard a machine or the call was routed to voicemail; `failed`: system
    errors and rejected calls; `other`: attempts that placed no call
    (do-not-call, cancelled).
    """

    human: int = 0
    machine: int = 0
    no_answer: int = 0
    busy: int = 0
    failed: int = 0
    other: int = 0

    @classmethod
    def of(cls, counts: OutcomeCounts) -> Outcomes:
        tally = dict.fromkeys(("human", "machine", "no_answer", "busy", "failed", "other"), 0)
        for (outcome, answered_by), n in counts.items():
            if outcome == "voicemail" or (outcome == "completed" and answered_by == "machine"):
                tally["machine"] += n
            elif outcome == "completed":
                tally["human"] += n
            elif outcome in ("no_answer", "busy"):
                tally[outcome] += n
            elif outcome in ("failed", "rejected"):
                tally["failed"] += n
            else:
                tally["other"] += n
        return cls(**tally)

    @property
    def total(self) -> int:
        return self.human + self.machine + self.no_answer + self.busy + self.failed + self.other


@dataclass(frozen=True, slots=True)
class ExecutionView:
    execution: ExecutionOut
    program_name: str | None
    outcomes: Outcomes
    calls_per_minute: float

    @property
    def done_percent(self) -> int:
        e = self.execution
        done = e.contacts_completed + e.contacts_failed
        return round(100 * done / e.total_contacts) if e.total_contacts else 0

    @property
    def actions(self) -> list[str]:
        status = self.execution.status
        return [
            action
            for action, allowed in (
                ("pause", PAUSABLE),
                ("resume", RESUMABLE),
                ("cancel", CANCELLABLE),
            )
            if status in allowed
        ]


@dataclass(frozen=True, slots=True)
class ExecutionDetail:
    view: ExecutionView
    outcome_table: list[tuple[str, int]]  # raw outcome → attempts
    amd_table: list[tuple[str, int]]  # answeredBy of answered attempts → attempts
    latest: Sequence[CallAttempt]


async def _views(
    session: AsyncSession,
    rows: Sequence[tuple[Execution, str | None]],
    now: datetime,
) -> tuple[list[ExecutionView], dict[str, dict[tuple[str, str | None], int]]]:
    ids = [e.id for e, _ in rows]
    described = await executions.describe(session, [e for e, _ in rows])
    attempts = CallAttemptRepository(session)
    counts = await attempts.outcome_counts(ids)
    recent = await attempts.started_since(ids, now - RATE_WINDOW)
    minutes = RATE_WINDOW.total_seconds() / 60
    views = [
        ExecutionView(
            out, name, Outcomes.of(counts.get(out.id, {})), recent.get(out.id, 0) / minutes
        )
        for out, (_, name) in zip(described, rows, strict=True)
    ]
    return views, counts


async def live(session: AsyncSession, organization_id: str, now: datetime) -> list[ExecutionView]:
    """Scheduled, running and paused program executions (the overview)."""
    rows = await ExecutionRepository(session).live_with_program(organization_id)
    views, _ = await _views(session, rows, now)
    return views


async def for_program(
    session: AsyncSession, name: str, rows: Sequence[Execution], now: datetime
) -> list[ExecutionView]:
    views, _ = await _views(session, [(e, name) for e in rows], now)
    return views


async def detail(
    session: AsyncSession,
    organization_id: str,
    execution: Execution,
    program_name: str | None,
    now: datetime,
) -> ExecutionDetail:
    [view], counts = await _views(session, [(execution, program_name)], now)
    by_outcome: dict[str, int] = {}
    by_amd: dict[str, int] = {}
    for (outcome, answered_by), n in counts.get(execution.id, {}).items():
        by_outcome[outcome] = by_outcome.get(outcome, 0) + n
        if answered_by is not None:  # answered calls: what AMD made of them
            by_amd[answered_by] = by_amd.get(answered_by, 0) + n
    latest = await CallAttemptRepository(session).latest(
        organization_id, execution.id, LATEST_ATTEMPTS
    )
    return ExecutionDetail(
        view,
        sorted(by_outcome.items(), key=lambda kv: (-kv[1], kv[0])),
        sorted(by_amd.items(), key=lambda kv: (-kv[1], kv[0])),
        latest,
    )
