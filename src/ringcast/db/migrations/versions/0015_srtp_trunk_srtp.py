"""trunks: SRTP mode (off | optional | mandatory) and SDES over clear-text signalling

`srtp` is the trunk's SRTP policy (telephony/sip/sdes.py); SDES keys travel in
the SDP, so a mode other than `off` needs `transport` tls or
`srtp_over_insecure_signaling` (checked by trunks/service.py and TrunkConfig).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("srtp", sa.String(16), nullable=False, server_default="off"),
        sa.Column(
            "srtp_over_insecure_signaling", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )


def upgrade() -> None:
    for column in _columns():  # plain ADD COLUMN: no table rebuild (see 0010 on SQLite)
        op.add_column("trunks", column)


def downgrade() -> None:
    with op.batch_alter_table("trunks") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
