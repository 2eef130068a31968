"""jobs: the flow node a call in progress is in (node_id, node_type, node_entered_at)

The dialer writes them as the flow enters nodes (batched, about once a second),
so the live view and the dashboard show each call in flight with its current
node and how long it has been there. NULL at launch: a launch writes nothing
more than before.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ringcast.db.types import UtcDateTime

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("node_id", "node_type", "node_entered_at")


def upgrade() -> None:
    op.add_column("jobs", sa.Column("node_id", sa.String(100), nullable=True))
    op.add_column("jobs", sa.Column("node_type", sa.String(32), nullable=True))
    op.add_column("jobs", sa.Column("node_entered_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    # not batch mode: rebuilding jobs on SQLite would cascade to call_attempts
    for column in COLUMNS:
        op.execute(f"ALTER TABLE jobs DROP COLUMN {column}")
