"""trunks: TLS settings (transport "tls")

`tls_ca_bundle` and `tls_client_cert` are PEM text, `tls_server_name` the name the
carrier's certificate is checked against, `tls_client_key` the client certificate's
private key sealed like the password (kit/secret_box.py). All null for every
existing trunk: nothing changes for UDP and TCP trunks.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("tls_ca_bundle", sa.Text(), nullable=True),
        sa.Column("tls_server_name", sa.String(255), nullable=True),
        sa.Column("tls_client_cert", sa.Text(), nullable=True),
        sa.Column("tls_client_key", sa.Text(), nullable=True),
    )


def upgrade() -> None:
    for column in _columns():  # plain ADD COLUMN: no table rebuild (see 0010 on SQLite)
        op.add_column("trunks", column)


def downgrade() -> None:
    with op.batch_alter_table("trunks") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
