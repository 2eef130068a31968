from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response

from ringcast.api.deps import PrincipalDep, SessionDep, WriterDep
from ringcast.api.route import domain_router
from ringcast.dids import service
from ringcast.dids.schemas import Did, DidCreate, DidUpdate
from ringcast.kit.pagination import Page, PageParams, page_params

router = domain_router("/api/dids", "DIDs")
Params = Annotated[PageParams, Depends(page_params)]


@router.post("", status_code=201, response_model=Did)
async def create_did(body: DidCreate, principal: WriterDep, session: SessionDep) -> Did:
    return Did.model_validate(await service.create(session, principal.organization_id, body))


@router.get("", response_model=Page[Did])
async def list_dids(principal: PrincipalDep, session: SessionDep, params: Params) -> Page[Did]:
    rows, total = await service.page(session, principal.organization_id, params)
    return Page.build([Did.model_validate(r) for r in rows], total, params)


@router.get("/available", response_model=Page[Did])
async def available_dids(principal: PrincipalDep, session: SessionDep, params: Params) -> Page[Did]:
    """The DIDs usable as caller ids now (status `active`)."""
    rows, total = await service.page(session, principal.organization_id, params, "active")
    return Page.build([Did.model_validate(r) for r in rows], total, params)


@router.get("/{did_id}", response_model=Did)
async def get_did(did_id: str, principal: PrincipalDep, session: SessionDep) -> Did:
    return Did.model_validate(await service.get(session, principal.organization_id, did_id))


@router.put("/{did_id}", response_model=Did)
async def update_did(
    did_id: str, body: DidUpdate, principal: WriterDep, session: SessionDep
) -> Did:
    did = await service.update(session, principal.organization_id, did_id, body)
    return Did.model_validate(did)


@router.delete("/{did_id}", status_code=204)
async def delete_did(did_id: str, principal: WriterDep, session: SessionDep) -> Response:
    await service.delete(session, principal.organization_id, did_id)
    return Response(status_code=204)
