"""contacts: a partial index of the soft-deleted contacts per organization

A launch leaves the memberships of soft-deleted contacts out of its snapshot
(`programs.repository.ExecutionRepository.snapshot_audience`). Without an
index the deleted ones of an organization were found by reading all its
contacts (twice: whether there are any, then which): at a million contacts
that cost more than the snapshot's own INSERT. This partial index holds only
the deleted rows, so both questions read those alone; live contacts (the
ones every upsert writes) are not in it and cost nothing more to write.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DELETED = sa.text("deleted_at IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_contacts_org_deleted",
        "contacts",
        ["organization_id"],
        sqlite_where=DELETED,
        postgresql_where=DELETED,
    )


def downgrade() -> None:
    op.drop_index("ix_contacts_org_deleted", table_name="contacts")
