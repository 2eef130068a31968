from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ringcast.api.deps import PrincipalDep, SessionDep
from ringcast.api.route import domain_router
from ringcast.audiences import schemas, service
from ringcast.contacts import service as contacts
from ringcast.contacts.schemas import Contact
from ringcast.kit.pagination import Page, PageParams, page_params

router = domain_router("/api/audience", "Audiences")
PageDep = Annotated[PageParams, Depends(page_params)]


@router.get("", response_model=Page[schemas.Audience])
async def list_audiences(
    principal: PrincipalDep, session: SessionDep, params: PageDep
) -> Page[schemas.Audience]:
    items, total = await service.list_page(session, principal.organization_id, params)
    return Page[schemas.Audience].build(await service.to_schemas(session, items), total, params)


@router.post("", status_code=201, response_model=schemas.Audience)
async def create_audience(
    body: schemas.AudienceCreate, principal: PrincipalDep, session: SessionDep
) -> schemas.Audience:
    audience = await service.create(session, principal.organization_id, body)
    return (await service.to_schemas(session, [audience]))[0]


@router.get("/{audience_id}", response_model=schemas.Audience)
async def get_audience(
    audience_id: str, principal: PrincipalDep, session: SessionDep
) -> schemas.Audience:
    audience = await service.get(session, principal.organization_id, audience_id)
    return (await service.to_schemas(session, [audience]))[0]


@router.put("/{audience_id}", response_model=schemas.Audience)
async def update_audience(
    audience_id: str, body: schemas.AudienceUpdate, principal: PrincipalDep, session: SessionDep
) -> schemas.Audience:
    audience = await service.update(session, principal.organization_id, audience_id, body)
    return (await service.to_schemas(session, [audience]))[0]


@router.delete("/{audience_id}", response_model=schemas.Audience)
async def delete_audience(
    audience_id: str, principal: PrincipalDep, session: SessionDep
) -> schemas.Audience:
    audience = await service.get(session, principal.organization_id, audience_id)
    out = (await service.to_schemas(session, [audience]))[0]
    await service.delete(session, principal.organization_id, audience_id)
    return out


@router.post("/{audience_id}/add-contacts", response_model=schemas.MembershipResult)
async def add_contacts(
    audience_id: str, body: schemas.MembershipChange, principal: PrincipalDep, session: SessionDep
) -> schemas.MembershipResult:
    return await service.add_contacts(
        session, principal.organization_id, audience_id, body.contacts
    )


@router.post("/{audience_id}/remove-contacts", response_model=schemas.MembershipResult)
async def remove_contacts(
    audience_id: str, body: schemas.MembershipChange, principal: PrincipalDep, session: SessionDep
) -> schemas.MembershipResult:
    return await service.remove_contacts(
        session, principal.organization_id, audience_id, body.contacts
    )


@router.get("/{audience_id}/contacts", response_model=Page[Contact])
async def list_audience_contacts(
    audience_id: str, principal: PrincipalDep, session: SessionDep, params: PageDep
) -> Page[Contact]:
    audience = await service.get(session, principal.organization_id, audience_id)
    items, total = await contacts.list_contacts(
        session, principal.organization_id, params, audience_id=audience.id
    )
    live = set(await contacts.attribute_types(session, principal.organization_id))
    return Page[Contact].build([contacts.to_schema(c, live) for c in items], total, params)
