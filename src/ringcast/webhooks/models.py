from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ringcast.db.base import Base, IdMixin, TimestampMixin
from ringcast.db.types import UtcDateTime


class WebhookEndpoint(IdMixin, TimestampMixin, Base):
    """A subscription: where to POST which events, and the secret that signs them."""

    __tablename__ = "webhook_endpoints"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    url: Mapped[str] = mapped_column(String(2048), nullable=False)
    events: Mapped[list[str]] = mapped_column(JSON, nullable=False)  # names, or ["*"]
    # Sealed (`fernet:v1:…`, kit/secret_box.py): signing needs it back (like a
    # trunk's SIP password), so it is not hashed; returned once, in clear.
    secret: Mapped[str] = mapped_column(String(255), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)


class WebhookDelivery(IdMixin, TimestampMixin, Base):
    """The outbox: one event for one endpoint, written in the transaction of the
    change it reports, then sent (and retried) by the delivery worker.

    `body` is the exact JSON sent every attempt (the signature covers it).
    `status`: pending → delivered | failed. While a worker sends, its claim
    pushed `next_attempt_at` past the send's timeout (the lease): a worker that
    dies leaves the row due again, never lost; `attempts` (incremented by the
    claim) guards the result so a stale worker cannot overwrite a newer one.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at"),
    )

    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
    )
    organization_id: Mapped[str] = mapped_column(String(36), nullable=False)
    event_id: Mapped[str] = mapped_column(String(36), nullable=False)
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
