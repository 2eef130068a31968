"""trunks: carrier settings (keepalive, registration, media, number format) and health

`status` (up | down | unregistered, null until the dialer first checks the
trunk), `status_error` and `status_at` are written by the dialer process that
holds the trunk's SIP agent and read by the API.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ringcast.db.types import UtcDateTime

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("options_interval_s", sa.Integer(), nullable=False, server_default="30"),
        sa.Column("register_expires_s", sa.Integer(), nullable=False, server_default="3600"),
        sa.Column("symmetric_rtp", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("strict_media_source", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("max_inbound_calls", sa.Integer(), nullable=False, server_default="10"),
        sa.Column("number_format", sa.String(16), nullable=False, server_default="e164"),
        sa.Column("tech_prefix", sa.String(20), nullable=True),
        sa.Column("asserted_identity", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("privacy", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("from_user", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("status_error", sa.String(200), nullable=True),
        sa.Column("status_at", UtcDateTime(), nullable=True),
    )


def upgrade() -> None:
    for column in _columns():  # plain ADD COLUMN: no table rebuild (see 0010 on SQLite)
        op.add_column("trunks", column)


def downgrade() -> None:
    with op.batch_alter_table("trunks") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
