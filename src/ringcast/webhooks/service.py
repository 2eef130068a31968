"""Webhook subscriptions (endpoints), their deliveries, and the test event.

The signing secret is generated here (`whsec_…`), shown once in the create
response (and by rotate-secret), and stored sealed (`kit/secret_box.py`):
signing needs it back, so the delivery worker opens it.
A URL whose host is `localhost` or a non-public IP literal is refused unless
private networks are allowed (`netguard.py`; delivery checks resolved names).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.db.base import utcnow
from ringcast.errors import ConflictError, NotFoundError, ValidationFailedError
from ringcast.kit.pagination import PageParams
from ringcast.kit.secret_box import SecretBox
from ringcast.webhooks import events, netguard, outbox, signing
from ringcast.webhooks.models import WebhookDelivery, WebhookEndpoint
from ringcast.webhooks.repository import SORTABLE, WebhookRepository
from ringcast.webhooks.schemas import WebhookCreate, WebhookUpdate
from ringcast.webhooks.schemas import WebhookDelivery as DeliveryOut


def delivery_schema(row: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        event_id=row.event_id,
        event_type=row.event_type,
        status=row.status,
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        last_attempt_at=row.last_attempt_at,
        next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
        payload=json.loads(row.body),
    )


async def get(session: AsyncSession, organization_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = await WebhookRepository(session).get(organization_id, endpoint_id)
    if endpoint is None:
        raise NotFoundError("Webhook not found", code="WEBHOOK_NOT_FOUND")
    return endpoint


def _check_destination(url: str | None, allow_private_networks: bool) -> None:
    refusal = None if url is None or allow_private_networks else netguard.url_refusal(url)
    if refusal is not None:
        raise ValidationFailedError.single("url", "private_address", refusal)


async def create(
    session: AsyncSession,
    organization_id: str,
    data: WebhookCreate,
    secrets: SecretBox,
    *,
    allow_private_networks: bool = False,
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its signing secret in clear (the row holds it sealed)."""
    _check_destination(data.url, allow_private_networks)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        organization_id=organization_id, secret=secrets.seal(secret), **data.model_dump()
    )
    return await WebhookRepository(session).add(endpoint), secret


async def update(
    session: AsyncSession,
    organization_id: str,
    endpoint_id: str,
    data: WebhookUpdate,
    *,
    allow_private_networks: bool = False,
) -> WebhookEndpoint:
    endpoint = await get(session, organization_id, endpoint_id)
    _check_destination(data.url, allow_private_networks)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is None and name != "description":
            continue  # required properties: null means "unchanged"
        setattr(endpoint, name, value)
    await session.flush()
    return endpoint


async def rotate_secret(
    session: AsyncSession, organization_id: str, endpoint_id: str, secrets: SecretBox
) -> tuple[WebhookEndpoint, str]:
    """A new secret at once (returned in clear); deliveries already queued are
    signed with it too."""
    endpoint = await get(session, organization_id, endpoint_id)
    secret = signing.new_secret()
    endpoint.secret = secrets.seal(secret)
    await session.flush()
    return endpoint, secret


async def seal_existing(session: AsyncSession, secrets: SecretBox) -> int:
    """Seal the signing secrets still stored in clear (rows from before sealing)."""
    endpoints = await WebhookRepository(session).with_clear_secret()
    for endpoint in endpoints:
        endpoint.secret = secrets.seal(endpoint.secret)
    await session.flush()
    return len(endpoints)


async def delete(session: AsyncSession, organization_id: str, endpoint_id: str) -> None:
    """Its deliveries go with it (pending ones are never sent)."""
    await WebhookRepository(session).delete(await get(session, organization_id, endpoint_id))


async def page(
    session: AsyncSession, organization_id: str, params: PageParams
) -> tuple[Sequence[WebhookEndpoint], int]:
    sort = params.checked_sort(list(SORTABLE), "createdAt")
    return await WebhookRepository(session).page(organization_id, params, sort)


async def deliveries(
    session: AsyncSession,
    organization_id: str,
    endpoint_id: str,
    params: PageParams,
    status: str | None,
) -> tuple[Sequence[WebhookDelivery], int]:
    """Newest first (sortOrder=asc for oldest first)."""
    params.checked_sort(["createdAt"], "createdAt")
    endpoint = await get(session, organization_id, endpoint_id)
    return await WebhookRepository(session).deliveries(endpoint.id, params, status)


async def send_test(
    session: AsyncSession, organization_id: str, endpoint_id: str
) -> WebhookDelivery:
    """Queue a `webhook.test` event for this endpoint, whatever it subscribed to."""
    endpoint = await get(session, organization_id, endpoint_id)
    if not endpoint.active:
        raise ConflictError(
            "This webhook is inactive: activate it to receive events", code="WEBHOOK_INACTIVE"
        )
    event = events.Event(
        organization_id,
        events.TEST,
        {"webhookId": endpoint.id, "message": "A test event from ringcast"},
        utcnow(),
    )
    row = await outbox.publish_to(session, endpoint.id, event)
    return WebhookDelivery(**row)
