"""call_attempts: indexes for an execution's outcome counts and latest attempts

The single-column index on execution_id gives way to two that lead with it:
(execution_id, outcome, answered_by) answers the dashboard's outcome counts
from the index alone, (execution_id, created_at) its latest attempts and call
rate without sorting the execution's rows (bench/dashboard_queries.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_call_attempts_outcomes", "call_attempts", ["execution_id", "outcome", "answered_by"]
    )
    op.create_index("ix_call_attempts_recent", "call_attempts", ["execution_id", "created_at"])
    op.drop_index("ix_call_attempts_execution_id", table_name="call_attempts")


def downgrade() -> None:
    op.create_index("ix_call_attempts_execution_id", "call_attempts", ["execution_id"])
    op.drop_index("ix_call_attempts_recent", table_name="call_attempts")
    op.drop_index("ix_call_attempts_outcomes", table_name="call_attempts")
