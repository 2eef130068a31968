"""programs: timezoneMode (pause windows in the program's zone or each callee's)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("programs", "program_executions")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("timezone_mode", sa.String(16), nullable=False, server_default="program"),
        )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("timezone_mode")
