"""media: audio files, dictionaries, recordings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from ringcast.db.types import UtcDateTime

SYSTEM_DICTIONARIES = {"ar": "Arabic (system)", "en": "English (system)", "fr": "French (system)"}

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audio_files",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(36),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("usage_type", sa.String(32), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("sample_rate", sa.Integer(), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("bit_depth", sa.Integer(), nullable=True),
        sa.Column("original_file_name", sa.String(255), nullable=True),
        sa.Column("file_id", sa.String(36), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("original_key", sa.String(512), nullable=False),
        sa.Column("telephony_key", sa.String(512), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_audio_files_organization_id", "audio_files", ["organization_id"])
    dictionaries = op.create_table(
        "dictionaries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(36),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_dictionaries_organization_id", "dictionaries", ["organization_id"])
    op.create_table(
        "dictionary_entries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "dictionary_id",
            sa.String(36),
            sa.ForeignKey("dictionaries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("original_key", sa.String(512), nullable=False),
        sa.Column("telephony_key", sa.String(512), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("dictionary_id", "key", name="uq_dictionary_entries_key"),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        dictionaries,
        [
            {
                "id": f"system-{lang}",
                "organization_id": None,
                "name": name,
                "description": "Built-in clips for numbers, dates and common words",
                "language": lang,
                "is_system": True,
                "created_at": now,
                "updated_at": now,
            }
            for lang, name in SYSTEM_DICTIONARIES.items()
        ],
    )


def downgrade() -> None:
    op.drop_table("dictionary_entries")
    op.drop_index("ix_dictionaries_organization_id", table_name="dictionaries")
    op.drop_table("dictionaries")
    op.drop_index("ix_audio_files_organization_id", table_name="audio_files")
    op.drop_table("audio_files")
