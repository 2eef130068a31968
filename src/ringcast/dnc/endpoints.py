from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response

from ringcast.api.deps import PrincipalDep, SessionDep, WriterDep
from ringcast.api.route import domain_router
from ringcast.dnc import service
from ringcast.dnc.schemas import DncCreate, DncEntry
from ringcast.kit.pagination import Page, PageParams, page_params

router = domain_router("/api/dnc", "Do not call")


@router.post("", status_code=201, response_model=DncEntry)
async def add_number(body: DncCreate, principal: WriterDep, session: SessionDep) -> DncEntry:
    entry = await service.add(session, principal.organization_id, body.phone, body.reason)
    return DncEntry.model_validate(entry)


@router.get("", response_model=Page[DncEntry])
async def list_numbers(
    principal: PrincipalDep,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[DncEntry]:
    rows, total = await service.page(session, principal.organization_id, params)
    return Page.build([DncEntry.model_validate(r) for r in rows], total, params)


@router.delete("/{entry_id}", status_code=204)
async def remove_number(entry_id: str, principal: WriterDep, session: SessionDep) -> Response:
    await service.remove(session, principal.organization_id, entry_id)
    return Response(status_code=204)
