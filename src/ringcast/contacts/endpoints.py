from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response

from ringcast.api.deps import PrincipalDep, SessionDep
from ringcast.api.responses import model_json
from ringcast.api.route import domain_router
from ringcast.contacts import schemas, service
from ringcast.contacts.upsert import UpsertOutcome
from ringcast.kit.offload import off_loop
from ringcast.kit.pagination import Page, PageParams, page_params

router = domain_router("/api/contact", "Contacts")
PageDep = Annotated[PageParams, Depends(page_params)]


@router.get("", response_model=Page[schemas.Contact])
async def list_contacts(
    principal: PrincipalDep, session: SessionDep, params: PageDep
) -> Page[schemas.Contact]:
    items, total = await service.list_contacts(session, principal.organization_id, params)
    live = set(await service.attribute_types(session, principal.organization_id))
    return Page[schemas.Contact].build([service.to_schema(c, live) for c in items], total, params)


@router.post("", status_code=201, response_model=schemas.Contact)
async def create_contact(
    body: schemas.ContactCreate, principal: PrincipalDep, session: SessionDep
) -> schemas.Contact:
    contact, attributes = await service.create_contact(session, principal.organization_id, body)
    return service.to_schema(contact, set(attributes))


@router.post("/upsert", response_model=schemas.UpsertResult)
async def upsert_contacts(
    body: schemas.UpsertRequest, principal: PrincipalDep, session: SessionDep
) -> Response:
    outcome = await service.upsert_batch(session, principal.organization_id, body.data)
    # 1000 failed rows make a few megabytes of answer: built off the event loop
    return Response(await off_loop(_upsert_json, outcome), media_type="application/json")


def _upsert_json(outcome: UpsertOutcome) -> bytes:
    result = schemas.UpsertResult(
        created=outcome.created,
        updated=outcome.updated,
        failed=[
            schemas.FailedRow(
                index=f.index,
                primary_phone=f.primary_phone,
                field_errors=f.field_errors(),
                field_details=f.field_details(),
            )
            for f in outcome.failed
        ],
        duplicates=[
            schemas.DuplicateRow(
                index=d.index, primary_phone=d.primary_phone, superseded_by=d.superseded_by
            )
            for d in outcome.duplicates
        ],
    )
    return model_json(result)  # a lone surrogate the row echoes: escaped, not a 500


@router.get("/{contact_id}", response_model=schemas.Contact)
async def get_contact(
    contact_id: str, principal: PrincipalDep, session: SessionDep
) -> schemas.Contact:
    contact = await service.get_contact(session, principal.organization_id, contact_id)
    live = set(await service.attribute_types(session, principal.organization_id))
    return service.to_schema(contact, live)


@router.put("/{contact_id}", response_model=schemas.Contact)
async def update_contact(
    contact_id: str, body: schemas.ContactUpdate, principal: PrincipalDep, session: SessionDep
) -> schemas.Contact:
    contact, attributes = await service.update_contact(
        session, principal.organization_id, contact_id, body
    )
    return service.to_schema(contact, set(attributes))


@router.delete("/{contact_id}", response_model=schemas.Contact)
async def delete_contact(
    contact_id: str, principal: PrincipalDep, session: SessionDep
) -> schemas.Contact:
    contact = await service.delete_contact(session, principal.organization_id, contact_id)
    live = set(await service.attribute_types(session, principal.organization_id))
    return service.to_schema(contact, live)
