from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response

from ringcast.api.deps import PrincipalDep, SessionDep, StateDep, WriterDep
from ringcast.api.route import domain_router
from ringcast.kit.pagination import Page, PageParams, page_params
from ringcast.trunks import service
from ringcast.trunks.schemas import Trunk, TrunkCreate, TrunkUpdate

router = domain_router("/api/trunks", "Trunks")


@router.post("", status_code=201, response_model=Trunk)
async def create_trunk(
    body: TrunkCreate, principal: WriterDep, session: SessionDep, state: StateDep
) -> Trunk:
    secrets = state.settings.secret_box()
    return service.to_schema(
        await service.create(session, principal.organization_id, body, secrets)
    )


@router.get("", response_model=Page[Trunk])
async def list_trunks(
    principal: PrincipalDep,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[Trunk]:
    rows, total = await service.page(session, principal.organization_id, params)
    return Page.build([service.to_schema(r) for r in rows], total, params)


@router.get("/{trunk_id}", response_model=Trunk)
async def get_trunk(trunk_id: str, principal: PrincipalDep, session: SessionDep) -> Trunk:
    return service.to_schema(await service.get(session, principal.organization_id, trunk_id))


@router.put("/{trunk_id}", response_model=Trunk)
async def update_trunk(
    trunk_id: str, body: TrunkUpdate, principal: WriterDep, session: SessionDep, state: StateDep
) -> Trunk:
    secrets = state.settings.secret_box()
    trunk = await service.update(session, principal.organization_id, trunk_id, body, secrets)
    return service.to_schema(trunk)


@router.delete("/{trunk_id}", status_code=204)
async def delete_trunk(trunk_id: str, principal: WriterDep, session: SessionDep) -> Response:
    await service.delete(session, principal.organization_id, trunk_id)
    return Response(status_code=204)
