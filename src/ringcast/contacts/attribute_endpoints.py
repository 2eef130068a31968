from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ringcast.api.deps import PrincipalDep, SessionDep
from ringcast.api.route import domain_router
from ringcast.contacts import schemas, service
from ringcast.kit.pagination import Page, PageParams, page_params

router = domain_router("/api/custom-attributes", "Custom attributes")
PageDep = Annotated[PageParams, Depends(page_params)]


@router.get("", response_model=Page[schemas.Attribute])
async def list_attributes(
    principal: PrincipalDep, session: SessionDep, params: PageDep
) -> Page[schemas.Attribute]:
    # an organization has tens of attributes: filter and page in memory
    items = [
        schemas.Attribute.model_validate(a)
        for a in await service.list_attributes(session, principal.organization_id)
    ]
    if params.search:
        term = params.search.lower()
        items = [a for a in items if term in a.name or term in a.display_name.lower()]
    sort = params.checked_sort(["name", "displayName", "createdAt"], "createdAt")
    key = {"name": "name", "displayName": "display_name", "createdAt": "created_at"}[sort]
    items.sort(key=lambda a: getattr(a, key), reverse=params.sort_order == "desc")
    window = items[params.offset : params.offset + params.limit]
    return Page[schemas.Attribute].build(window, len(items), params)


@router.post("", status_code=201, response_model=schemas.Attribute)
async def create_attribute(
    body: schemas.AttributeCreate, principal: PrincipalDep, session: SessionDep
) -> schemas.Attribute:
    attribute = await service.create_attribute(session, principal.organization_id, body)
    return schemas.Attribute.model_validate(attribute)


@router.get("/{attribute_id}", response_model=schemas.Attribute)
async def get_attribute(
    attribute_id: str, principal: PrincipalDep, session: SessionDep
) -> schemas.Attribute:
    attribute = await service.get_attribute(session, principal.organization_id, attribute_id)
    return schemas.Attribute.model_validate(attribute)


@router.put("/{attribute_id}", response_model=schemas.Attribute)
async def update_attribute(
    attribute_id: str, body: schemas.AttributeUpdate, principal: PrincipalDep, session: SessionDep
) -> schemas.Attribute:
    attribute = await service.update_attribute(
        session, principal.organization_id, attribute_id, body
    )
    return schemas.Attribute.model_validate(attribute)


@router.delete("/{attribute_id}", response_model=schemas.Attribute)
async def delete_attribute(
    attribute_id: str, principal: PrincipalDep, session: SessionDep
) -> schemas.Attribute:
    attribute = await service.delete_attribute(session, principal.organization_id, attribute_id)
    return schemas.Attribute.model_validate(attribute)
