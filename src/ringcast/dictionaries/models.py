from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ringcast.db.base import Base, IdMixin, TimestampMixin

SYSTEM_LANGUAGES = ("ar", "en", "fr")


def system_dictionary_id(language: str) -> str:
    return f"system-{language}"


class Dictionary(IdMixin, TimestampMixin, Base):
    __tablename__ = "dictionaries"

    # null for the built-in system dictionaries, which every organization sees
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str] = mapped_column(String(8), nullable=False)
    is_system: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class DictionaryEntry(IdMixin, TimestampMixin, Base):
    __tablename__ = "dictionary_entries"
    __table_args__ = (UniqueConstraint("dictionary_id", "key", name="uq_dictionary_entries_key"),)

    dictionary_id: Mapped[str] = mapped_column(
        ForeignKey("dictionaries.id", ondelete="CASCADE"), nullable=False
    )
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    file_size: Mapped[int] = mapped_column(Integer, nullable=False)
    checksum: Mapped[str] = mapped_column(String(64), nullable=False)
    original_key: Mapped[str] = mapped_column(String(512), nullable=False)
    telephony_key: Mapped[str] = mapped_column(String(512), nullable=False)
