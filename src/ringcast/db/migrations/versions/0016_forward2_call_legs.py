"""Forwarded legs of a call attempt: call_attempts.legs

The Forward node's second legs (issue 17), as the call report's `legs[]`:
to, from, trunk, startedAt, answeredAt, terminatedAt, durationMs, outcome,
reason, sipStatus, hungUpBy, nodeId, recordingId. NULL for attempts recorded
before (read as no legs).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("call_attempts", sa.Column("legs", sa.JSON(), nullable=True))


def downgrade() -> None:
    # not batch mode: rebuilding call_attempts on SQLite would run its foreign keys' actions
    op.execute("ALTER TABLE call_attempts DROP COLUMN legs")
