"""Webhook queries: subscriptions (API), the outbox (writers) and claims (worker)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.db.dialect import dialect_name, for_claim
from ringcast.kit.pagination import PageParams
from ringcast.kit.repository import paginate
from ringcast.kit.secret_box import PREFIX
from ringcast.webhooks.models import WebhookDelivery, WebhookEndpoint

SORTABLE = {"createdAt": WebhookEndpoint.created_at, "url": WebhookEndpoint.url}


@dataclass(frozen=True, slots=True)
class Subscription:
    endpoint_id: str
    events: frozenset[str]

    def wants(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    id: str
    event_type: str
    body: str
    attempt: int  # this attempt's number (1-based)
    url: str
    secret: str  # as stored: sealed (or a legacy clear one); the worker opens it


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    id: str
    attempt: int
    status: str  # delivered | pending (retry) | failed
    at: datetime
    next_attempt_at: datetime | None
    status_code: int | None
    error: str | None


class WebhookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- endpoints ---------------------------------------------------------

    async def get(self, organization_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        result = await self.session.execute(
            select(WebhookEndpoint).where(
                WebhookEndpoint.id == endpoint_id,
                WebhookEndpoint.organization_id == organization_id,
            )
        )
        return result.scalar_one_or_none()

    async def page(
        self, organization_id: str, params: PageParams, sort: str
    ) -> tuple[Sequence[WebhookEndpoint], int]:
        stmt = select(WebhookEndpoint).where(WebhookEndpoint.organization_id == organization_id)
        if params.search:
            stmt = stmt.where(WebhookEndpoint.url.ilike(f"%{params.search}%"))
        return await paginate(self.session, stmt, params, SORTABLE[sort], WebhookEndpoint.id)

    async def with_clear_secret(self) -> Sequence[WebhookEndpoint]:
        """Every organization's endpoints whose secret is not sealed yet."""
        result = await self.session.execute(
            select(WebhookEndpoint).where(
                ~WebhookEndpoint.secret.startswith(PREFIX, autoescape=True)
            )
        )
        return result.scalars().all()

    async def add(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        self.session.add(endpoint)
        await self.session.flush()
        return endpoint

    async def delete(self, endpoint: WebhookEndpoint) -> None:
        await self.session.delete(endpoint)
        await self.session.flush()

    # ---- the outbox --------------------------------------------------------

    async def subscriptions(self, organization_ids: Iterable[str]) -> dict[str, list[Subscription]]:
        """The active endpoints of these organizations (one indexed SELECT)."""
        rows = await self.session.execute(
            select(
                WebhookEndpoint.organization_id, WebhookEndpoint.id, WebhookEndpoint.events
            ).where(
                WebhookEndpoint.organization_id.in_(set(organization_ids)),
                WebhookEndpoint.active,
            )
        )
        found: dict[str, list[Subscription]] = {}
        for organization_id, endpoint_id, events in rows.all():
            found.setdefault(organization_id, []).append(
                Subscription(endpoint_id, frozenset(events))
            )
        return found

    async def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(WebhookDelivery), list(rows))

    async def deliveries(
        self, endpoint_id: str, params: PageParams, status: str | None
    ) -> tuple[Sequence[WebhookDelivery], int]:
        stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        if status is not None:
            stmt = stmt.where(WebhookDelivery.status == status)
        if params.search:
            stmt = stmt.where(WebhookDelivery.event_type.like(f"%{params.search}%"))
        return await paginate(
            self.session, stmt, params, WebhookDelivery.created_at, WebhookDelivery.id
        )


class DeliveryRepository:
    """The worker's queries, each call its own short transaction on `session`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(
        self, now: datetime, lease_until: datetime, limit: int, max_attempts: int
    ) -> list[ClaimedDelivery]:
        """Due deliveries of active endpoints, leased until `lease_until`.

        FOR UPDATE SKIP LOCKED (PostgreSQL) lets concurrent workers take
        disjoint rows; on SQLite the write transaction (BEGIN IMMEDIATE) does.
        Only the delivery rows are locked (the endpoint is a subquery). A due
        row that already had `max_attempts` (its last lease ran out: the
        worker died) is marked failed instead of being claimed again.
        """
        await self.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                WebhookDelivery.attempts >= max_attempts,
            )
            .values(
                status="failed",
                next_attempt_at=None,
                last_error="no result: the last attempt's worker stopped (lease expired)",
                updated_at=now,
            )
        )
        active = select(WebhookEndpoint.id).where(WebhookEndpoint.active)
        due = (
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                WebhookDelivery.attempts < max_attempts,
                WebhookDelivery.endpoint_id.in_(active),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
        claim = for_claim(due, dialect_name(self.session))
        ids = (await self.session.execute(claim)).scalars().all()
        if not ids:
            return []
        await self.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids), WebhookDelivery.status == "pending")
            .values(
                attempts=WebhookDelivery.attempts + 1, next_attempt_at=lease_until, updated_at=now
            )
        )
        rows = await self.session.execute(
            select(
                WebhookDelivery.id,
                WebhookDelivery.event_type,
                WebhookDelivery.body,
                WebhookDelivery.attempts,
                WebhookEndpoint.url,
                WebhookEndpoint.secret,
            )
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id.in_(ids))
            .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        )
        return [ClaimedDelivery(*row) for row in rows.all()]

    async def record(self, results: Sequence[DeliveryResult]) -> int:
        """Store attempts' results; one whose row was claimed again since (its lease
        ran out) is skipped. Returns how many were stored."""
        stored = 0
        for r in results:
            result = await self.session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == r.id,
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.attempts == r.attempt,
                )
                .values(
                    status=r.status,
                    next_attempt_at=r.next_attempt_at,
                    last_attempt_at=r.at,
                    last_status_code=r.status_code,
                    last_error=r.error,
                    delivered_at=r.at if r.status == "delivered" else None,
                    updated_at=r.at,
                )
            )
            assert isinstance(result, CursorResult)
            stored += result.rowcount
        return stored

    async def prune(self, before: datetime) -> int:
        """Forget finished deliveries last touched before `before` (retention)."""
        result = await self.session.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.status.in_(("delivered", "failed")),
                WebhookDelivery.updated_at < before,
            )
        )
        assert isinstance(result, CursorResult)
        return int(result.rowcount)
