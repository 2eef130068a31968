"""trunks: the SIP a carrier speaks, per trunk (100rel offered, 3xx hops, Retry-After cap,
inbound INVITEs known by digest credentials instead of the source address)

Until now fixed in `TrunkConfig`; the defaults are those values (100rel offered, 3
redirects followed, a Retry-After back-off of at most 60 s).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("offer_100rel", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("max_redirects", sa.Integer(), nullable=False, server_default="3"),
        sa.Column("max_retry_after_s", sa.Integer(), nullable=False, server_default="60"),
        sa.Column("inbound_digest", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def upgrade() -> None:
    for column in _columns():  # plain ADD COLUMN: no table rebuild (see 0010 on SQLite)
        op.add_column("trunks", column)


def downgrade() -> None:
    with op.batch_alter_table("trunks") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
