from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Response
from fastapi.responses import StreamingResponse

from ringcast.api.deps import PrincipalDep, SessionDep, StateDep, WriterDep
from ringcast.api.openapi import file_responses
from ringcast.api.route import domain_router
from ringcast.calls import export, recordings, service
from ringcast.calls.repository import CallFilters
from ringcast.calls.schemas import (
    CallReport,
    CallRequestCreate,
    CallRequestQueued,
    CallSummary,
    Direction,
    ExportRequest,
    Outcome,
    Recording,
)
from ringcast.errors import NotFoundError, ValidationFailedError
from ringcast.kit.pagination import Page, PageParams, page_params
from ringcast.programs import executions
from ringcast.programs import service as programs
from ringcast.storage.base import ObjectNotFoundError

call_requests_router = domain_router("/api/call-requests", "Single calls")
reports_router = domain_router("/api/call-report", "Call reports")
recordings_router = domain_router("/api/recordings", "Recordings")


@call_requests_router.post("", status_code=201, response_model=CallRequestQueued)
async def create_call_request(
    body: CallRequestCreate, principal: WriterDep, session: SessionDep
) -> CallRequestQueued:
    job = await service.create_call_request(
        session,
        principal.organization_id,
        contact_id=body.contact_id,
        flow_id=body.flow_id,
        did_id=body.did_id,
        from_number=body.from_number,
        retry=body.retry.model_dump(mode="json", by_alias=True) if body.retry else None,
        start_at=body.start_at,
    )
    return CallRequestQueued(job_id=str(job.id))


@reports_router.get("", response_model=Page[CallSummary])
async def list_calls(
    principal: PrincipalDep,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
    direction: Annotated[Direction | None, Query()] = None,
    outcome: Annotated[Outcome | None, Query()] = None,
    execution_id: Annotated[str | None, Query(alias="executionId", max_length=36)] = None,
) -> Page[CallSummary]:
    """Every call of the organization, outbound and inbound (one row per attempt), newest
    first (`sortBy=createdAt`); `direction`, `outcome`, `executionId` filter and `search`
    matches the from or to number. A call's whole report: `GET /api/call-report/{jobId}`."""
    filters = CallFilters(direction, outcome, execution_id)
    rows, total = await service.list_calls(session, principal.organization_id, params, filters)
    return Page.build(rows, total, params)


@reports_router.get("/{job_id}", response_model=CallReport)
async def get_call_report(job_id: str, principal: PrincipalDep, session: SessionDep) -> CallReport:
    return await service.call_report(session, principal.organization_id, job_id)


@reports_router.post(
    "/export",
    response_class=Response,
    responses=file_responses("One CSV row per attempt", "text/csv"),
)
async def export_call_reports(
    body: ExportRequest, principal: PrincipalDep, session: SessionDep
) -> Response:
    """CSV of every job and attempt of one execution, or of all a program's executions."""
    org = principal.organization_id
    if body.execution_id:
        ids = [(await executions.get(session, org, body.execution_id)).id]
    elif body.program_id:
        await programs.get(session, org, body.program_id)
        rows, _ = await executions.page_for_program(
            session, org, body.program_id, PageParams(limit=10_000)
        )
        ids = [e.id for e in rows]
    else:
        raise ValidationFailedError.single(
            "executionId", "required", "Give executionId or programId"
        )
    # the session belongs to this request: build the whole body before it closes
    lines = [line async for line in export.csv_lines(session, org, ids)]
    return Response(
        "".join(lines),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="call-report.csv"'},
    )


@recordings_router.get("", response_model=Page[Recording])
async def list_recordings(
    principal: PrincipalDep,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
    job_id: Annotated[str | None, Query(alias="jobId")] = None,
) -> Page[Recording]:
    # a jobId that cannot be one matches no recording (not: every recording)
    wanted = (service.parse_job_id(job_id) or job_id) if job_id else None
    rows, total = await recordings.page(session, principal.organization_id, params, wanted)
    items = [
        Recording.model_validate({**_fields(r), "job_id": str(r.job_id) if r.job_id else None})
        for r in rows
    ]
    return Page.build(items, total, params)


def _fields(recording: object) -> dict[str, object]:
    return {name: getattr(recording, name) for name in Recording.model_fields}


@recordings_router.get("/{recording_id}", response_model=Recording)
async def get_recording(
    recording_id: str, principal: PrincipalDep, session: SessionDep
) -> Recording:
    r = await recordings.get(session, principal.organization_id, recording_id)
    return Recording.model_validate({**_fields(r), "job_id": str(r.job_id) if r.job_id else None})


@recordings_router.get(
    "/{recording_id}/stream",
    response_class=Response,
    responses=file_responses("The recording's audio", "audio/*"),
)
async def stream_recording(
    recording_id: str, principal: PrincipalDep, session: SessionDep, state: StateDep
) -> Response:
    r = await recordings.get(session, principal.organization_id, recording_id)
    try:
        handle = state.storage.open(r.storage_key)
    except ObjectNotFoundError as exc:
        raise NotFoundError("The recording's audio is gone", code="RECORDING_NOT_FOUND") from exc

    def chunks() -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(64 * 1024):
                yield chunk

    return StreamingResponse(chunks(), media_type=r.content_type)


@recordings_router.delete("/{recording_id}", status_code=204)
async def delete_recording(
    recording_id: str, principal: WriterDep, session: SessionDep, state: StateDep
) -> Response:
    await recordings.delete(session, state.storage, principal.organization_id, recording_id)
    return Response(status_code=204)
