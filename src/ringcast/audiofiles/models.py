from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ringcast.db.base import Base, IdMixin, TimestampMixin


class AudioFile(IdMixin, TimestampMixin, Base):
    __tablename__ = "audio_files"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    usage_type: Mapped[str] = mapped_column(String(32), nullable=False)
    tags: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    sample_rate: Mapped[int] = mapped_column(Integer, nullable=False)
    channels: Mapped[int] = mapped_column(Integer, nullable=False)
    bit_depth: Mapped[int | None] = mapped_column(Integer, nullable=True)
    original_file_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    file_id: Mapped[str] = mapped_column(String(36), nullable=False)
    content_type: Mapped[str] = mapped_column(String(64), nullable=False)
    file_size: Mapped[int] = mapped_column(Integer, nullable=False)
    checksum: Mapped[str] = mapped_column(String(64), nullable=False)
    original_key: Mapped[str] = mapped_column(String(512), nullable=False)
    telephony_key: Mapped[str] = mapped_column(String(512), nullable=False)
