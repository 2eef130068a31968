"""Trunk groups, the trunk that carried each attempt, deployment-wide trunk limits

- dids.trunk_group: the DID's ordered trunk group, `[{trunkId, priority, weight}]`
  (NULL: the DID's single `trunk_id`, as before).
- call_attempts.trunk_id / trunks_tried: the trunk that carried the attempt and every
  trunk it was offered to, in order (failover).
- trunk_budgets / trunk_channel_leases: the shared CPS schedule and the channels each
  dialer process holds per trunk (PostgreSQL deployments; trunks/limits_repository.py).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("dids", sa.Column("trunk_group", sa.JSON(), nullable=True))
    op.add_column("call_attempts", sa.Column("trunk_id", sa.String(36), nullable=True))
    op.add_column("call_attempts", sa.Column("trunks_tried", sa.JSON(), nullable=True))
    op.create_table(
        "trunk_budgets",
        sa.Column(
            "trunk_id",
            sa.String(36),
            sa.ForeignKey("trunks.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("next_slot_s", sa.Float(), nullable=False),
    )
    op.create_table(
        "trunk_channel_leases",
        sa.Column(
            "trunk_id",
            sa.String(36),
            sa.ForeignKey("trunks.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("owner", sa.String(64), primary_key=True),
        sa.Column("in_use", sa.Integer(), nullable=False),
        sa.Column("expires_s", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("trunk_channel_leases")
    op.drop_table("trunk_budgets")
    # not batch mode: rebuilding these tables on SQLite would cascade (see 0013)
    op.execute("ALTER TABLE call_attempts DROP COLUMN trunks_tried")
    op.execute("ALTER TABLE call_attempts DROP COLUMN trunk_id")
    op.execute("ALTER TABLE dids DROP COLUMN trunk_group")
