"""`/api/exports` **(beyond)**: start an export, poll it, download its file."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import FileResponse

from ringcast.api.deps import PrincipalDep, SessionDep, StateDep
from ringcast.api.openapi import file_responses
from ringcast.api.route import domain_router
from ringcast.calls.exports import jobs
from ringcast.calls.exports.repository import ExportRepository
from ringcast.calls.exports.schemas import ExportCreate, ExportJob
from ringcast.calls.exports.writers import MEDIA_TYPES
from ringcast.errors import ConflictError, NotFoundError, ValidationFailedError
from ringcast.programs import executions
from ringcast.programs import service as programs

router = domain_router("/api/exports", "Exports")


def _not_found(export_id: str) -> NotFoundError:
    return NotFoundError(f"Export {export_id} not found", code="EXPORT_NOT_FOUND")


def _out(request: Request, record: dict[str, Any]) -> ExportJob:
    url = None
    if record["status"] == "completed":
        url = str(request.url_for("download_export", export_id=record["id"]))
    public = {k: v for k, v in record.items() if k not in ("organizationId", "updatedAt")}
    return ExportJob.model_validate({**public, "downloadUrl": url})


def recording_url(request: Request) -> str:
    base = str(request.base_url).rstrip("/")
    return base + "/api/recordings/{id}/stream"


@router.post("", status_code=202, response_model=ExportJob)
async def start_export(
    body: ExportCreate,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    state: StateDep,
) -> ExportJob:
    """One row per contact of an execution, a program's executions, or every
    execution (optionally those created in [from, to)): contact fields and
    custom attributes, attempts, final outcome and reason, AMD result, each DTMF
    node's keys, each flow variable, first/last call time, talk time, recordings.
    Poll the returned job; when `completed`, fetch `downloadUrl`."""
    org = principal.organization_id
    if body.execution_id and body.program_id:
        raise ValidationFailedError.single(
            "executionId", "exclusive", "Give executionId or programId, not both"
        )
    if body.from_ and body.to and body.to <= body.from_:
        raise ValidationFailedError.single("to", "before_from", "to must be after from")
    if body.execution_id:
        await executions.get(session, org, body.execution_id)
    if body.program_id:
        await programs.get(session, org, body.program_id)
    scope = await ExportRepository(session).executions(
        org,
        execution_id=body.execution_id,
        program_id=body.program_id,
        created_from=body.from_,
        created_to=body.to,
    )
    record = jobs.jobs_for(state).create(org, body, scope, recording_url(request))
    return _out(request, record)


@router.get("/{export_id}", response_model=ExportJob)
async def get_export(
    export_id: str, request: Request, principal: PrincipalDep, state: StateDep
) -> ExportJob:
    record = jobs.load(state, principal.organization_id, export_id)
    if record is None:
        raise _not_found(export_id)
    return _out(request, record)


@router.get(
    "/{export_id}/download",
    name="download_export",
    response_class=Response,
    responses=file_responses("The export file (CSV or XLSX)", "text/csv"),
)
async def download_export(export_id: str, principal: PrincipalDep, state: StateDep) -> Response:
    org = principal.organization_id
    record = jobs.load(state, org, export_id)
    if record is None:
        raise _not_found(export_id)
    if record["status"] != "completed":
        raise ConflictError(
            f"Export {export_id} is {record['status']}, not completed",
            code="EXPORT_NOT_READY",
        )
    fmt = record["format"]
    path = jobs.file_path(state, org, export_id, fmt)
    if not path.exists():
        raise _not_found(export_id)
    return FileResponse(
        path, media_type=MEDIA_TYPES[fmt], filename=f"ringcast-export-{export_id}.{fmt}"
    )
