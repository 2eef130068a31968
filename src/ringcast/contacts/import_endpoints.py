"""`POST /api/contact/import` (multipart) and its polling routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import BackgroundTasks, File, Form, UploadFile
from fastapi.responses import FileResponse

from ringcast.api.deps import PrincipalDep, SessionDep, StateDep
from ringcast.api.openapi import file_responses
from ringcast.api.route import domain_router
from ringcast.audiences import service as audiences
from ringcast.contacts import schemas
from ringcast.contacts.csv_import import check_file
from ringcast.contacts.import_jobs import expire_if_stale, jobs_for, rejected_path, upload_path
from ringcast.contacts.models import ContactImport
from ringcast.contacts.repository import ImportRepository
from ringcast.contacts.service import attribute_types
from ringcast.db.base import new_id
from ringcast.errors import ConflictError, NotFoundError
from ringcast.kit.offload import off_loop
from ringcast.kit.schemas import NO_NUL

router = domain_router("/api/contact/import", "Contacts")
_COPY_BYTES = 1 << 20


def _not_found(import_id: str) -> NotFoundError:
    return NotFoundError(f"Import {import_id} not found", code="CONTACT_IMPORT_NOT_FOUND")


@router.post("", status_code=202, response_model=schemas.ContactImport)
async def start_import(
    file: Annotated[UploadFile, File(description="CSV, UTF-8, `,` or `;` separated")],
    principal: PrincipalDep,
    session: SessionDep,
    state: StateDep,
    background: BackgroundTasks,
    audience_id: Annotated[str | None, Form(alias="audienceId", pattern=NO_NUL)] = None,
) -> schemas.ContactImport:
    org = principal.organization_id
    if audience_id:
        await audiences.get(session, org, audience_id)
    import_id = new_id()
    target = upload_path(state, org, import_id)
    # the form parser already spooled the part to disk past 1 MB; copy in blocks
    with target.open("wb") as out:
        while block := await file.read(_COPY_BYTES):
            out.write(block)
    try:
        # a header may be a megabyte wide: read and check it off the event loop
        await off_loop(check_file, target, await attribute_types(session, org))
    except Exception:
        target.unlink(missing_ok=True)
        raise
    record = await ImportRepository(session).add(
        ContactImport(
            id=import_id,
            organization_id=org,
            audience_id=audience_id or None,
            filename=(file.filename or "upload.csv")[:255],
            status=schemas.ImportStatus.pending.value,
            processed_rows=0,
            created_count=0,
            updated_count=0,
            failed_count=0,
        )
    )
    # background tasks run after the response is built, i.e. after the route
    # committed the record above, so the job always finds it
    background.add_task(jobs_for(state).start, org, import_id, audience_id or None)
    return schemas.ContactImport.model_validate(record)


@router.get("/{import_id}", response_model=schemas.ContactImport)
async def get_import(
    import_id: str, principal: PrincipalDep, session: SessionDep
) -> schemas.ContactImport:
    record = await ImportRepository(session).get(principal.organization_id, import_id)
    if record is None:
        raise _not_found(import_id)
    await expire_if_stale(session, record)
    return schemas.ContactImport.model_validate(record)


@router.get(
    "/{import_id}/rejected",
    response_class=FileResponse,
    responses=file_responses(
        "The rejected rows, with their errors",
        "text/csv",
        errors={409: "The import failed or has not started (no rejected rows yet)"},
    ),
)
async def get_rejected_rows(
    import_id: str, principal: PrincipalDep, session: SessionDep, state: StateDep
) -> FileResponse:
    record = await ImportRepository(session).get(principal.organization_id, import_id)
    if record is None:
        raise _not_found(import_id)
    path = rejected_path(state, principal.organization_id, import_id)
    if not path.exists():
        if record.status == schemas.ImportStatus.failed.value:
            raise ConflictError(
                f"The import failed before reading rows: {record.error}",
                code="CONTACT_IMPORT_FAILED",
            )
        raise ConflictError(
            "The import has not started yet; poll it and try again",
            code="CONTACT_IMPORT_NOT_STARTED",
        )
    return FileResponse(
        path, media_type="text/csv", filename=f"{record.filename.removesuffix('.csv')}-rejected.csv"
    )
