from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ringcast.db.base import Base, IdMixin, TimestampMixin
from ringcast.db.types import UtcDateTime

LIVE = text("deleted_at IS NULL")
DELETED = text("deleted_at IS NOT NULL")


class Contact(IdMixin, TimestampMixin, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        # One live contact per phone; a soft-deleted contact's phone is free again.
        # Partial unique indexes work the same on SQLite and PostgreSQL, and the
        # bulk upsert uses this index as its ON CONFLICT target.
        Index(
            "uq_contacts_org_phone_live",
            "organization_id",
            "primary_phone",
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        Index("ix_contacts_org_created", "organization_id", "created_at"),
        # The (few) soft-deleted contacts of an organization, without reading its
        # live ones: launch leaves them out of a snapshot (programs/repository.py).
        Index(
            "ix_contacts_org_deleted",
            "organization_id",
            sqlite_where=DELETED,
            postgresql_where=DELETED,
        ),
    )

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    primary_phone: Mapped[str] = mapped_column(String(16), nullable=False)
    first_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    full_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    primary_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    state: Mapped[str | None] = mapped_column(String(100), nullable=True)
    zip: Mapped[str | None] = mapped_column(String(20), nullable=True)
    occupation: Mapped[str | None] = mapped_column(String(100), nullable=True)
    preferred_channel: Mapped[str | None] = mapped_column(String(50), nullable=True)
    gender: Mapped[str | None] = mapped_column(String(16), nullable=True)
    channels: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    custom_attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class CustomAttribute(IdMixin, TimestampMixin, Base):
    __tablename__ = "custom_attributes"
    # Slugs stay reserved after a delete, so a new attribute never resurrects
    # the values a deleted one left behind in contacts.
    __table_args__ = (
        UniqueConstraint("organization_id", "name", name="uq_custom_attributes_org_name"),
    )

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    display_name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class ContactImport(IdMixin, TimestampMixin, Base):
    __tablename__ = "contact_imports"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    audience_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    updated_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    failed_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # the first few rejected rows, for the status response; all are in the rejected CSV
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
