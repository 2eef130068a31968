"""An execution's live view (`GET /api/program-executions/{id}/live`, the
dashboard's event stream, `ringcast watch`): counters, calls per minute,
outcomes and AMD verdicts, a per-minute series, calls in flight with their age
and the flow node each is in (and for how long; `stalled` past a limit), node
run counts, key-press tallies per DTMF node, and which autoPause rule paused it."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.calls.live_repository import InFlightRow, LiveRepository
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


NODE_STALLED_AFTER_S = 120.0
"""A call this long in one node is marked `stalled` (a stuck prompt is ended by the
runner's own watchdog well before; a forward node's bridged talk is no stall)."""
LONG_NODES = frozenset({"forward"})


class InFlightCall(Schema):
    job_id: str
    phone: str | None
    attempt: int
    age_seconds: float | None
    node_id: str | None = Field(description="the flow node the call is in now")
    node_type: str | None
    node_age_seconds: float | None = Field(description="how long it has been in that node")
    stalled: bool = Field(description=f"in one node over {NODE_STALLED_AFTER_S:.0f} s")


def in_flight_call(row: InFlightRow, now: datetime) -> InFlightCall:
    def age(since: datetime | None) -> float | None:
        return round((now - since).total_seconds(), 1) if since else None

    node_age = age(row.node_entered_at) if row.node_id else None
    return InFlightCall(
        job_id=row.job_id,
        phone=row.phone,
        attempt=row.attempt,
        age_seconds=age(row.claimed_at),
        node_id=row.node_id,
        node_type=row.node_type,
        node_age_seconds=node_age,
        stalled=node_age is not None
        and node_age > NODE_STALLED_AFTER_S
        and row.node_type not in LONG_NODES,
    )


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
    key_counts: dict[str, dict[str, int]] = Field(
        description="per DTMF node, how many calls ended it with each key, or with"
        " `timeout`, `invalid` or `none` (no key: hung up, error)"
    )
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
        in_flight_call(row, now) for row in await repo.in_flight(execution.id, IN_FLIGHT_SHOWN)
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
        key_counts=await repo.key_counts(execution.id),
        paused_by=paused_by,
    )
