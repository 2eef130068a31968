"""An execution's live view (`GET /api/program-executions/{id}/live`, the
dashboard's event stream, `ringcast watch`): counters, calls per minute,
outcomes and AMD verdicts, a per-minute series, calls in flight with their age,
node run counts, and which autoPause rule paused it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.calls.live_repository import LiveRepository
from ringcast.calls.repository import CallAttemptRepository
from ringcast.kit.schemas import Schema
from ringcast.programs import executions
from ringcast.programs.models import Execution
from ringcast.programs.schemas import Execution as ExecutionOut

SERIES_MINUTES = 30
RATE_WINDOW = timedelta(minutes=5)
IN_FLIGHT_SHOWN = 50


class MinuteCount(Schema):
    minute: datetime
    calls: int
    outcomes: dict[str, int]


class InFlightCall(Schema):
    job_id: str
    phone: str | None
    attempt: int
    age_seconds: float | None


class TrippedRule(Schema):
    node_id: str
    threshold: int
    count: int


class LiveView(Schema):
    execution: ExecutionOut
    at: datetime
    calls_per_minute: float
    attempts: int
    outcomes: dict[str, int]
    amd: dict[str, int]
    per_minute: list[MinuteCount]
    in_flight: list[InFlightCall]
    node_counts: dict[str, int]
    paused_by: list[TrippedRule]


async def live_view(session: AsyncSession, execution: Execution, now: datetime) -> LiveView:
    [out] = await executions.describe(session, [execution])
    counts = (await CallAttemptRepository(session).outcome_counts([execution.id])).get(
        execution.id, {}
    )
    outcomes: dict[str, int] = {}
    amd: dict[str, int] = {}
    for (outcome, answered_by), n in counts.items():
        outcomes[outcome] = outcomes.get(outcome, 0) + n
        if answered_by is not None:
            amd[answered_by] = amd.get(answered_by, 0) + n
    repo = LiveRepository(session)
    start = (now - timedelta(minutes=SERIES_MINUTES - 1)).replace(second=0, microsecond=0)
    buckets = await repo.per_minute(execution.id, start, SERIES_MINUTES)
    series = []
    for i in range(SERIES_MINUTES):
        by_outcome = {o: n for (m, o), n in buckets.items() if m == i}
        series.append(
            MinuteCount(
                minute=start + timedelta(minutes=i),
                calls=sum(by_outcome.values()),
                outcomes=by_outcome,
            )
        )
    recent = await CallAttemptRepository(session).started_since([execution.id], now - RATE_WINDOW)
    node_counts = await repo.node_counts(execution.id)
    paused_by = []
    if execution.status == "paused_threshold":
        for rule in execution.auto_pause_rules:
            count = node_counts.get(str(rule.get("nodeId")), 0)
            if count >= int(rule.get("threshold", 0)):
                paused_by.append(
                    TrippedRule(node_id=rule["nodeId"], threshold=rule["threshold"], count=count)
                )
    in_flight = [
        InFlightCall(
            job_id=str(job_id),
            phone=phone,
            attempt=attempt,
            age_seconds=round((now - since).total_seconds(), 1) if since else None,
        )
        for job_id, phone, attempt, since in await repo.in_flight(execution.id, IN_FLIGHT_SHOWN)
    ]
    return LiveView(
        execution=out,
        at=now,
        calls_per_minute=round(recent.get(execution.id, 0) / (RATE_WINDOW.total_seconds() / 60), 1),
        attempts=sum(outcomes.values()),
        outcomes=dict(sorted(outcomes.items(), key=lambda kv: (-kv[1], kv[0]))),
        amd=dict(sorted(amd.items(), key=lambda kv: (-kv[1], kv[0]))),
        per_minute=series,
        in_flight=in_flight,
        node_counts=node_counts,
        paused_by=paused_by,
    )
