from __future__ import annotations

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ringcast.db.base import Base, IdMixin, TimestampMixin


class Trunk(IdMixin, TimestampMixin, Base):
    __tablename__ = "trunks"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    port: Mapped[int] = mapped_column(Integer, nullable=False)
    transport: Mapped[str] = mapped_column(String(8), nullable=False)
    username: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Sealed (`fernet:v1:…`, kit/secret_box.py): the SIP digest needs the plain
    # secret back, so it cannot be hashed. See trunks/service.py.
    password: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    from_domain: Mapped[str | None] = mapped_column(String(255), nullable=True)
    max_channels: Mapped[int] = mapped_column(Integer, nullable=False)
    calls_per_second: Mapped[float] = mapped_column(Float, nullable=False)
    codecs: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    register: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False)
