"""flows: flows and flow versions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ringcast.db.types import UtcDateTime

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flows",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(36),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_flows_organization_id", "flows", ["organization_id"])
    op.create_table(
        "flow_versions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "flow_id", sa.String(36), sa.ForeignKey("flows.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("graph", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("flow_id", "version", name="uq_flow_versions_flow_version"),
    )
    op.create_table(
        "flow_resource_refs",
        sa.Column(
            "flow_version_id",
            sa.String(36),
            sa.ForeignKey("flow_versions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("resource_id", sa.String(64), primary_key=True),
    )
    op.create_index(
        "ix_flow_resource_refs_kind_resource", "flow_resource_refs", ["kind", "resource_id"]
    )


def downgrade() -> None:
    op.drop_table("flow_resource_refs")
    op.drop_table("flow_versions")
    op.drop_index("ix_flows_organization_id", table_name="flows")
    op.drop_table("flows")
