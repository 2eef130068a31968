"""jobs: the flow node a call in progress is in; execution_key_counts: key tallies

- jobs.node_id, node_type, node_entered_at: the flow node a call in progress is in.

The dialer writes them as the flow enters nodes (batched, about once a second),
so the live view and the dashboard show each call in flight with its current
node and how long it has been there. NULL at launch: a launch writes nothing
more than before.
- execution_key_counts: per execution and DTMF node, how many calls ended the
  node with each key (or timeout / invalid / none), counted as calls are
  recorded, like execution_node_counts.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ringcast.db.types import UtcDateTime

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("node_id", "node_type", "node_entered_at")


def upgrade() -> None:
    op.add_column("jobs", sa.Column("node_id", sa.String(100), nullable=True))
    op.add_column("jobs", sa.Column("node_type", sa.String(32), nullable=True))
    op.add_column("jobs", sa.Column("node_entered_at", UtcDateTime(), nullable=True))
    op.create_table(
        "execution_key_counts",
        sa.Column(
            "execution_id",
            sa.String(36),
            sa.ForeignKey("program_executions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("node_id", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(16), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("execution_key_counts")
    # not batch mode: rebuilding jobs on SQLite would cascade to call_attempts
    for column in COLUMNS:
        op.execute(f"ALTER TABLE jobs DROP COLUMN {column}")
