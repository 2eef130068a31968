"""trunks.password and webhook_endpoints.secret: room for sealed values

Both are now stored sealed (`fernet:v1:<Fernet token>`, kit/secret_box.py),
longer than the clear text: a 49-character `whsec_` secret takes 174, a
200-character SIP password about 366. Existing rows stay in clear until
`ringcast secrets encrypt-existing` seals them. The downgrade narrows the
columns back, which fails on PostgreSQL while sealed values are stored.
SQLite keeps its declared lengths (it never enforces them; see `_resize`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


COLUMNS = (
    # table, column, before, after, nullable
    ("trunks", "password", 200, 1024, True),
    ("webhook_endpoints", "secret", 100, 255, False),
)


def _resize(grow: bool) -> None:
    # SQLite does not enforce VARCHAR lengths, and changing a declared type
    # there means rebuilding the table (batch mode): its DROP TABLE runs the
    # foreign keys' ON DELETE actions, which would empty webhook_deliveries
    # (CASCADE) and unlink every DID from its trunk (SET NULL). So PostgreSQL only.
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
    _resize(grow=True)


def downgrade() -> None:
    _resize(grow=False)
