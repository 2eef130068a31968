from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Response

from ringcast.api.deps import PrincipalDep, SessionDep, StateDep, WriterDep
from ringcast.api.route import domain_router
from ringcast.kit.pagination import Page, PageParams, page_params
from ringcast.webhooks import service
from ringcast.webhooks.models import WebhookEndpoint
from ringcast.webhooks.schemas import (
    DeliveryStatus,
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookDelivery,
    WebhookUpdate,
)

router = domain_router("/api/webhooks", "Webhooks")
Params = Annotated[PageParams, Depends(page_params)]


def _created(endpoint: WebhookEndpoint, secret: str) -> WebhookCreated:
    """The endpoint with its secret in clear (the row holds it sealed)."""
    return WebhookCreated.model_validate(
        {**Webhook.model_validate(endpoint).model_dump(), "secret": secret}
    )


@router.post("", status_code=201, response_model=WebhookCreated)
async def create_webhook(
    body: WebhookCreate, principal: WriterDep, session: SessionDep, state: StateDep
) -> WebhookCreated:
    endpoint, secret = await service.create(
        session,
        principal.organization_id,
        body,
        state.settings.secret_box(),
        allow_private_networks=state.settings.webhook_allow_private_networks,
    )
    return _created(endpoint, secret)


@router.get("", response_model=Page[Webhook])
async def list_webhooks(
    principal: PrincipalDep, session: SessionDep, params: Params
) -> Page[Webhook]:
    rows, total = await service.page(session, principal.organization_id, params)
    return Page.build([Webhook.model_validate(r) for r in rows], total, params)


@router.get("/{webhook_id}", response_model=Webhook)
async def get_webhook(webhook_id: str, principal: PrincipalDep, session: SessionDep) -> Webhook:
    return Webhook.model_validate(await service.get(session, principal.organization_id, webhook_id))


@router.put("/{webhook_id}", response_model=Webhook)
async def update_webhook(
    webhook_id: str,
    body: WebhookUpdate,
    principal: WriterDep,
    session: SessionDep,
    state: StateDep,
) -> Webhook:
    endpoint = await service.update(
        session,
        principal.organization_id,
        webhook_id,
        body,
        allow_private_networks=state.settings.webhook_allow_private_networks,
    )
    return Webhook.model_validate(endpoint)


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: str, principal: WriterDep, session: SessionDep) -> Response:
    await service.delete(session, principal.organization_id, webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookCreated)
async def rotate_webhook_secret(
    webhook_id: str, principal: WriterDep, session: SessionDep, state: StateDep
) -> WebhookCreated:
    endpoint, secret = await service.rotate_secret(
        session, principal.organization_id, webhook_id, state.settings.secret_box()
    )
    return _created(endpoint, secret)


@router.get("/{webhook_id}/deliveries", response_model=Page[WebhookDelivery])
async def list_deliveries(
    webhook_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    params: Params,
    status: Annotated[DeliveryStatus | None, Query()] = None,
) -> Page[WebhookDelivery]:
    rows, total = await service.deliveries(
        session, principal.organization_id, webhook_id, params, status
    )
    return Page.build([service.delivery_schema(r) for r in rows], total, params)


@router.post("/{webhook_id}/test", status_code=202, response_model=WebhookDelivery)
async def send_test_event(
    webhook_id: str, principal: WriterDep, session: SessionDep
) -> WebhookDelivery:
    row = await service.send_test(session, principal.organization_id, webhook_id)
    return service.delivery_schema(row)
