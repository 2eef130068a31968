"""Publishing events: write them to the outbox inside the caller's transaction.

The row commits with the change it reports or not at all, so an event is
never lost (the change committed, the process died before sending) nor sent
for a change that rolled back. The cost on the writer's path is one indexed
SELECT of the organizations' active endpoints per call of `publish` (the
dialer calls it once per group commit, not per call) and one multi-row INSERT
when some endpoint subscribed; nothing else when none did.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.db.base import new_id
from ringcast.webhooks.events import Event, envelope
from ringcast.webhooks.repository import WebhookRepository


def _body(event_id: str, event: Event) -> str:
    return json.dumps(envelope(event_id, event), separators=(",", ":"), ensure_ascii=False)


def delivery_row(endpoint_id: str, event_id: str, event: Event, body: str) -> dict[str, Any]:
    return {
        "id": new_id(),
        "endpoint_id": endpoint_id,
        "organization_id": event.organization_id,
        "event_id": event_id,
        "event_type": event.type,
        "body": body,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": event.created_at,
        "created_at": event.created_at,
        "updated_at": event.created_at,
    }


async def publish(session: AsyncSession, events: Sequence[Event]) -> int:
    """Queue `events` for the endpoints subscribed to them; returns the deliveries queued."""
    if not events:
        return 0
    repo = WebhookRepository(session)
    subscriptions = await repo.subscriptions({e.organization_id for e in events})
    if not subscriptions:
        return 0
    rows: list[dict[str, Any]] = []
    for event in events:
        targets = [s for s in subscriptions.get(event.organization_id, ()) if s.wants(event.type)]
        if not targets:
            continue
        event_id = new_id()
        body = _body(event_id, event)
        rows += [delivery_row(t.endpoint_id, event_id, event, body) for t in targets]
    await repo.add_deliveries(rows)
    return len(rows)


async def publish_to(session: AsyncSession, endpoint_id: str, event: Event) -> dict[str, Any]:
    """Queue one event for one endpoint, subscribed or not (the test event)."""
    event_id = new_id()
    row = delivery_row(endpoint_id, event_id, event, _body(event_id, event))
    await WebhookRepository(session).add_deliveries([row])
    return row
