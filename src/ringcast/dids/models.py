from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ringcast.db.base import Base, IdMixin, TimestampMixin
from ringcast.db.types import UtcDateTime


class Did(IdMixin, TimestampMixin, Base):
    __tablename__ = "dids"
    __table_args__ = (UniqueConstraint("organization_id", "number"),)

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    number: Mapped[str] = mapped_column(String(21), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    trunk_id: Mapped[str | None] = mapped_column(
        ForeignKey("trunks.id", ondelete="SET NULL"), nullable=True
    )
    # ordered failover group [{trunkId, priority, weight}] (NULL: just `trunk_id`)
    trunk_group: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # no FK: the flows table belongs to another package; checked by the service
    inbound_flow_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # least-recently-used caller-id rotation
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
