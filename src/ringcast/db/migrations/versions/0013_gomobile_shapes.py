"""Gomobile shapes: an execution's audience; room for 20-digit DID numbers

- program_executions.audience_id: the audience a launch snapshotted (NULL for
  single calls), filled for existing launches from their program.
- dids.number and call_attempts.from_number: a DID is "+" and 3 to 20 digits
  (API.md), 21 characters. SQLite never enforces VARCHAR lengths (and
  rebuilding those tables would run their foreign keys' ON DELETE actions, see
  0010), so they are resized on PostgreSQL only.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    # table, column, before, after, nullable
    ("dids", "number", 20, 21, False),
    ("call_attempts", "from_number", 20, 21, True),
)


def _resize(grow: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column, before, after, nullable in COLUMNS:
        old, new = (before, after) if grow else (after, before)
        op.alter_column(
            table,
            column,
            type_=sa.String(new),
            existing_type=sa.String(old),
            existing_nullable=nullable,
        )


def upgrade() -> None:
    op.add_column("program_executions", sa.Column("audience_id", sa.String(36), nullable=True))
    op.execute(
        "UPDATE program_executions SET audience_id = "
        "(SELECT programs.audience_id FROM programs WHERE programs.id = program_executions.program_id) "
        "WHERE program_id IS NOT NULL"
    )
    _resize(grow=True)


def downgrade() -> None:
    _resize(grow=False)
    # not batch mode: rebuilding program_executions on SQLite would cascade to jobs
    op.execute("ALTER TABLE program_executions DROP COLUMN audience_id")
