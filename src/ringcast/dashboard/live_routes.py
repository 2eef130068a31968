"""The execution page's live parts: its Server-Sent Events stream, the export
button, the relaunch button, and the call report page with its recording.

The event stream authenticates like every page (the session cookie, the key
re-checked), then opens its own short database session per tick: the request's
unit of work ends before a streamed body starts. It sends an `update` event
(JSON `{"html": ...}`) when the live region changed, a comment line as a
heartbeat otherwise, and `done` once the execution has ended; it closes after
`STREAM_MAX_S` (the browser reconnects, which re-checks the key).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.api.deps import SessionDep, StateDep
from ringcast.api.state import AppState
from ringcast.calls import recordings
from ringcast.calls import service as calls
from ringcast.calls.exports import jobs as export_jobs
from ringcast.calls.exports.endpoints import recording_url
from ringcast.calls.exports.repository import ExportRepository
from ringcast.calls.exports.schemas import ExportCreate
from ringcast.calls.exports.writers import MEDIA_TYPES
from ringcast.dashboard import views
from ringcast.dashboard.forms import check_csrf, read_form
from ringcast.dashboard.live_view import snapshot
from ringcast.dashboard.render import env, page
from ringcast.dashboard.route import DashboardRoute
from ringcast.dashboard.viewer import ViewerDep
from ringcast.db.base import utcnow
from ringcast.errors import NotFoundError
from ringcast.kit.pagination import page_params
from ringcast.programs import executions
from ringcast.programs import service as programs
from ringcast.programs.models import Execution
from ringcast.programs.relaunch import NOT_COMPLETED, relaunch
from ringcast.storage.base import ObjectNotFoundError

router = APIRouter(route_class=DashboardRoute)
TICK_S = 2.0
STREAM_MAX_S = 600.0


async def program_name(session: AsyncSession, org: str, execution: Execution) -> str | None:
    if execution.program_id is None:
        return None
    return (await programs.get(session, org, execution.program_id)).name


@router.get("/executions/{execution_id}")
async def execution_page(
    request: Request, execution_id: str, viewer: ViewerDep, session: SessionDep
) -> Response:
    org = viewer.principal.organization_id
    execution = await executions.get(session, org, execution_id)
    name = await program_name(session, org, execution)
    region = await snapshot(session, org, execution, name, utcnow())
    return page(
        request,
        "execution.html",
        detail=region.detail,
        region=region,
        outcome_choices=NOT_COMPLETED,
    )


def _region_html(region: Any, viewer: Any) -> str:
    return env.get_template("execution_live.html").render(region=region, viewer=viewer)


Render = Callable[[], Awaitable[tuple[str, bool] | None]]


def event_stream(request: Request, render: Render) -> StreamingResponse:
    """Send `render()`'s HTML as an `update` event when it changed, every
    `TICK_S`; `done` (and the end) once it says the region is final."""

    async def events() -> AsyncIterator[str]:
        started, last = time.monotonic(), ""
        yield "retry: 3000\n\n"
        while time.monotonic() - started < STREAM_MAX_S:
            if await request.is_disconnected():
                return
            rendered = await render()
            if rendered is None:
                return
            html, final = rendered
            digest = hashlib.sha256(html.encode()).hexdigest()
            if digest != last:
                last = digest
                yield f"event: update\ndata: {json.dumps({'html': html})}\n\n"
            else:
                yield ": still here\n\n"
            if final:
                yield "event: done\ndata: {}\n\n"
                return
            await asyncio.sleep(TICK_S)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/executions/{execution_id}/live")
async def execution_events(
    request: Request, execution_id: str, viewer: ViewerDep, session: SessionDep, state: StateDep
) -> Response:
    org = viewer.principal.organization_id
    await executions.get(session, org, execution_id)  # 404 before the stream starts

    async def render() -> tuple[str, bool] | None:
        region = await _fresh(state, org, execution_id)
        return _region_html(region, viewer), region.finished

    return event_stream(request, render)


@router.get("/live")
async def overview_events(request: Request, viewer: ViewerDep, state: StateDep) -> Response:
    """The overview's live executions, pushed like the execution page's region."""
    org = viewer.principal.organization_id

    async def render() -> tuple[str, bool] | None:
        async with state.sessions() as session:
            live = await views.live(session, org, utcnow())
        html = env.get_template("overview_live.html").render(live=live, viewer=viewer)
        return html, False

    return event_stream(request, render)


@router.get("/programs/{program_id}/live")
async def program_events(
    request: Request,
    program_id: str,
    viewer: ViewerDep,
    session: SessionDep,
    state: StateDep,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    """A program's executions on one page of its list, pushed as they move."""
    org = viewer.principal.organization_id
    program = await programs.get(session, org, program_id)
    params = page_params(page=page_no, limit=20)

    async def render() -> tuple[str, bool] | None:
        async with state.sessions() as fresh:
            rows, _ = await executions.page_for_program(fresh, org, program.id, params)
            runs = await views.for_program(fresh, program.name, rows, utcnow())
        html = env.get_template("program_live.html").render(runs=runs, program=program)
        return html, False

    return event_stream(request, render)


async def _fresh(state: AppState, org: str, execution_id: str) -> Any:
    async with state.sessions() as session:
        execution = await executions.get(session, org, execution_id)
        name = await program_name(session, org, execution)
        return await snapshot(session, org, execution, name, utcnow())


# ---- export --------------------------------------------------------------------


@router.post("/exports")
async def start_export(
    request: Request, viewer: ViewerDep, session: SessionDep, state: StateDep
) -> Response:
    fields = await read_form(request)
    check_csrf(request, viewer, fields)
    org = viewer.principal.organization_id
    execution = await executions.get(session, org, fields.get("execution", ""))
    fmt = "xlsx" if fields.get("format") == "xlsx" else "csv"
    scope = await ExportRepository(session).executions_by_id(org, [execution.id])
    body = ExportCreate.model_validate({"executionId": execution.id, "format": fmt})
    record = export_jobs.jobs_for(state).create(org, body, scope, recording_url(request))
    return RedirectResponse(f"/dashboard/exports/{record['id']}", status_code=303)


def _export_record(state: AppState, org: str, export_id: str) -> dict[str, Any]:
    record = export_jobs.load(state, org, export_id)
    if record is None:
        raise NotFoundError("There is no such export.")
    return record


@router.get("/exports/{export_id}")
async def export_page(
    request: Request, export_id: str, viewer: ViewerDep, state: StateDep
) -> Response:
    record = _export_record(state, viewer.principal.organization_id, export_id)
    return page(request, "export.html", export=record, refresh=record["status"] != "completed")


@router.get("/exports/{export_id}/download")
async def export_download(export_id: str, viewer: ViewerDep, state: StateDep) -> Response:
    org = viewer.principal.organization_id
    record = _export_record(state, org, export_id)
    path = export_jobs.file_path(state, org, export_id, record["format"])
    if record["status"] != "completed" or not path.exists():
        raise NotFoundError("This export has no file (yet).")
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[record["format"]],
        filename=f"ringcast-export-{export_id}.{record['format']}",
    )


# ---- relaunch ------------------------------------------------------------------


@router.post("/relaunches")
async def relaunch_execution(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    fields = await read_form(request)
    check_csrf(request, viewer, fields)
    viewer.principal.require_write()
    outcomes = [o for o in NOT_COMPLETED if fields.get(f"outcome-{o}")] or None
    org = viewer.principal.organization_id
    new = await relaunch(session, org, fields.get("execution", ""), outcomes)
    return RedirectResponse(f"/dashboard/executions/{new.id}", status_code=303)


# ---- one call ------------------------------------------------------------------


@router.get("/calls/{job_id}")
async def call_page(
    request: Request, job_id: str, viewer: ViewerDep, session: SessionDep
) -> Response:
    org = viewer.principal.organization_id
    report = await calls.call_report(session, org, job_id)
    execution = await executions.get(session, org, report.execution_id)
    recordings = await calls_recordings(session, org, report.job_id)
    return page(request, "call.html", report=report, execution=execution, recordings=recordings)


async def calls_recordings(session: AsyncSession, org: str, job_id: str) -> list[Any]:
    rows, _ = await recordings.page(
        session, org, page_params(page=1, limit=100), calls.parse_job_id(job_id)
    )
    return list(rows)


@router.get("/recordings/{recording_id}/audio")
async def recording_audio(
    recording_id: str, viewer: ViewerDep, session: SessionDep, state: StateDep
) -> Response:
    recording = await recordings.get(session, viewer.principal.organization_id, recording_id)
    path = state.storage.path_for(recording.storage_key)
    if path is not None:
        return FileResponse(path, media_type=recording.content_type)
    try:
        data = state.storage.get(recording.storage_key)
    except ObjectNotFoundError as exc:
        raise NotFoundError("The recording's audio is gone.") from exc
    return Response(data, media_type=recording.content_type)
