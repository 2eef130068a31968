"""Program CRUD and launch.

Launch pins everything the dialer needs onto the execution (flow version and
graph, DID pool, retry strategy, windows, pacing) and snapshots the audience
with one `INSERT ... SELECT`. Error codes for launch are the contract's own
names (`AudienceEmptyError`, `ExecutionAlreadyRunningError`,
`ProgramNotLaunchable`) so Gomobile clients can match them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.audiences.repository import AudienceRepository
from ringcast.auth.repository import OrganizationRepository
from ringcast.dids.models import Did
from ringcast.dids.repository import DidRepository
from ringcast.dids.service import pool_issues
from ringcast.errors import (
    BadRequestError,
    ConflictError,
    FieldIssue,
    NotFoundError,
    ValidationFailedError,
)
from ringcast.flows.models import Flow, FlowVersion
from ringcast.flows.repository import FlowRepository
from ringcast.kit.clock import utcnow
from ringcast.kit.pagination import PageParams
from ringcast.programs.executions import announce
from ringcast.programs.models import Execution, Program
from ringcast.programs.repository import SORTABLE, ExecutionRepository, ProgramRepository
from ringcast.programs.schemas import ProgramCreate, ProgramUpdate
from ringcast.programs.status import ExecutionStatus
from ringcast.scheduling.windows import NoAllowedTimeError, PauseWindows

_JSON_FIELDS = ("retry_strategy", "pause_windows", "auto_pause_rules")


def _dump(data: ProgramCreate | ProgramUpdate, *, partial: bool) -> dict[str, Any]:
    """Model fields as column values; nested objects as the API's JSON shape."""
    values = data.model_dump(exclude_unset=partial)
    for name in _JSON_FIELDS:
        if name in values and values[name] is not None:
            values[name] = data.model_dump(mode="json", by_alias=True, include={name})[_camel(name)]
    return values


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


async def get(session: AsyncSession, organization_id: str, program_id: str) -> Program:
    program = await ProgramRepository(session).get(organization_id, program_id)
    if program is None:
        raise NotFoundError("Program not found", code="PROGRAM_NOT_FOUND")
    return program


async def pinned_flow(
    session: AsyncSession, organization_id: str, flow_id: str
) -> tuple[Flow, FlowVersion] | None:
    repo = FlowRepository(session)
    flow = await repo.get(organization_id, flow_id)
    if flow is None:
        return None
    version = await repo.get_version(flow.id, flow.latest_version)
    return (flow, version) if version is not None else None


def _node_ids(graph: dict[str, Any]) -> set[str]:
    nodes = graph.get("nodes") or []
    if isinstance(nodes, dict):
        return set(nodes)
    return {str(n.get("id")) for n in nodes if isinstance(n, dict)}


async def _check(session: AsyncSession, program: Program, now: datetime) -> None:
    """Cross-field and cross-resource checks (400 with field paths)."""
    org = program.organization_id
    issues: list[FieldIssue] = []
    if await AudienceRepository(session).get(org, program.audience_id) is None:
        issues.append(FieldIssue("audienceId", "not_found", "No such audience"))
    pinned = await pinned_flow(session, org, program.flow_id)
    if pinned is None:
        issues.append(FieldIssue("flowId", "not_found", "No such flow"))
    else:
        known = _node_ids(pinned[1].graph)
        for i, rule in enumerate(program.auto_pause_rules):
            if rule["nodeId"] not in known:
                issues.append(
                    FieldIssue(
                        f"autoPauseRules[{i}].nodeId", "unknown_node", "No such node in the flow"
                    )
                )
    if program.start_at and program.stop_at and program.stop_at <= program.start_at:
        issues.append(FieldIssue("stopAt", "before_start", "stopAt must be after startAt"))
    for i, date in enumerate(program.retry_strategy.get("retryDates") or []):
        if datetime.fromisoformat(date) <= now:
            issues.append(
                FieldIssue(f"retryStrategy.retryDates[{i}]", "in_past", "must be in the future")
            )
    issues += await pool_issues(session, org, program.did_pool)
    try:
        PauseWindows.from_json(program.pause_windows, program.timezone).next_allowed(now)
    except NoAllowedTimeError:
        issues.append(
            FieldIssue("pauseWindows", "always_paused", "The windows leave no time to call")
        )
    if issues:
        raise ValidationFailedError("Invalid program", issues=issues)


async def create(session: AsyncSession, organization_id: str, data: ProgramCreate) -> Program:
    values = _dump(data, partial=False)
    if values["timezone"] is None:
        org = await OrganizationRepository(session).get(organization_id)
        values["timezone"] = org.timezone if org is not None else "UTC"
    program = Program(organization_id=organization_id, status="draft", **values)
    await _check(session, program, utcnow())
    return await ProgramRepository(session).add(program)


async def update(
    session: AsyncSession, organization_id: str, program_id: str, data: ProgramUpdate
) -> Program:
    program = await get(session, organization_id, program_id)
    if program.status == "archived":
        raise ConflictError("An archived program cannot change", code="PROGRAM_ARCHIVED")
    nullable = {"description", "start_at", "stop_at"}
    for name, value in _dump(data, partial=True).items():
        if value is None and name not in nullable:
            continue
        setattr(program, name, value)
    await _check(session, program, utcnow())
    await session.flush()
    return program


async def archive(session: AsyncSession, organization_id: str, program_id: str) -> Program:
    program = await get(session, organization_id, program_id)
    if await ExecutionRepository(session).live_for_program(program.id) is not None:
        raise ConflictError(
            "Cancel the live execution before archiving", code="ExecutionAlreadyRunningError"
        )
    program.status = "archived"
    await session.flush()
    return program


async def delete(session: AsyncSession, organization_id: str, program_id: str) -> None:
    program = await get(session, organization_id, program_id)
    if await ExecutionRepository(session).count_for_program(program.id):
        raise ConflictError(
            "A launched program keeps its history: archive it instead", code="PROGRAM_LAUNCHED"
        )
    await ProgramRepository(session).delete(program)


async def page(
    session: AsyncSession, organization_id: str, params: PageParams
) -> tuple[Sequence[Program], int]:
    sort = params.checked_sort(list(SORTABLE), "createdAt")
    return await ProgramRepository(session).page(organization_id, params, sort)


def build_execution(
    organization_id: str,
    pinned: tuple[Flow, FlowVersion],
    pool: list[str],
    now: datetime,
    *,
    kind: str,
    program_id: str | None,
    audience_id: str | None,
    start_at: datetime | None,
    stop_at: datetime | None,
    retry_strategy: dict[str, Any],
    pause_windows: dict[str, Any],
    timezone: str,
    timezone_mode: str,
    max_concurrent_calls: int,
    calls_per_second: float,
    auto_pause_rules: list[dict[str, Any]],
    total_contacts: int = 0,
) -> Execution:
    """The one place an execution is made (a program's launch, a single call): the
    flow version and everything the dialer needs pinned; `scheduled` when its start
    time is still to come, else `running` from now."""
    flow, version = pinned
    scheduled = start_at is not None and start_at > now
    return Execution(
        organization_id=organization_id,
        program_id=program_id,
        audience_id=audience_id,
        kind=kind,
        status=ExecutionStatus.SCHEDULED if scheduled else ExecutionStatus.RUNNING,
        flow_id=flow.id,
        flow_name=flow.name,
        flow_version=version.version,
        flow_graph=version.graph,
        did_pool=pool,
        retry_strategy=retry_strategy,
        pause_windows=pause_windows,
        timezone=timezone,
        timezone_mode=timezone_mode,
        max_concurrent_calls=max_concurrent_calls,
        calls_per_second=calls_per_second,
        auto_pause_rules=auto_pause_rules,
        total_contacts=total_contacts,
        scheduled_start_at=start_at,
        scheduled_stop_at=stop_at,
        actual_start_at=None if scheduled else now,
    )


async def resolve_pool(
    session: AsyncSession, organization_id: str, numbers: list[str]
) -> list[str]:
    """The program's pool, or every active DID of the organization when it is empty."""
    issues = await pool_issues(session, organization_id, numbers)
    if issues:
        raise ValidationFailedError("didPool has numbers that are not active DIDs", issues=issues)
    if numbers:
        return numbers
    dids: Sequence[Did] = await DidRepository(session).active(organization_id)
    if not dids:
        raise ValidationFailedError.single(
            "didPool", "empty", "No active DID to call from: add one or set didPool"
        )
    return [d.number for d in dids]


Snapshot = Callable[[Execution, datetime], Awaitable[int]]


async def launch(
    session: AsyncSession,
    organization_id: str,
    program_id: str,
    now: datetime | None = None,
    snapshot: Snapshot | None = None,
) -> Execution:
    """`snapshot` makes the jobs (default: the audience); see programs/relaunch.py."""
    now = now or utcnow()
    program = await get(session, organization_id, program_id)
    if program.status == "archived":
        raise ConflictError("An archived program cannot be launched", code="ProgramNotLaunchable")
    executions = ExecutionRepository(session)
    if await executions.live_for_program(program.id) is not None:
        raise ConflictError(
            "This program already has a scheduled, running or paused execution",
            code="ExecutionAlreadyRunningError",
        )
    pinned = await pinned_flow(session, organization_id, program.flow_id)
    if pinned is None:
        raise ValidationFailedError.single("flowId", "not_found", "The program's flow is gone")
    pool = await resolve_pool(session, organization_id, list(program.did_pool))
    execution = await executions.add(
        build_execution(
            organization_id,
            pinned,
            pool,
            now,
            kind="program",
            program_id=program.id,
            audience_id=program.audience_id,
            start_at=program.start_at,
            stop_at=program.stop_at,
            retry_strategy=program.retry_strategy,
            pause_windows=program.pause_windows,
            timezone=program.timezone,
            timezone_mode=program.timezone_mode,
            max_concurrent_calls=program.max_concurrent_calls,
            calls_per_second=program.calls_per_second,
            auto_pause_rules=program.auto_pause_rules,
        )
    )
    scheduled = execution.status == ExecutionStatus.SCHEDULED
    start = program.start_at if scheduled and program.start_at else now
    if snapshot is not None:
        total = await snapshot(execution, start)
    else:
        total = await executions.snapshot_audience(execution, program.audience_id, start)
    if total == 0:
        # the request's unit of work rolls the execution back with this error
        raise BadRequestError("The audience has no contacts", code="AudienceEmptyError")
    execution.total_contacts = total
    program.status = "active"
    await session.flush()
    if not scheduled:  # a scheduled one starts when the dialer starts it
        await announce(session, execution, "execution.started", now)
    return execution
