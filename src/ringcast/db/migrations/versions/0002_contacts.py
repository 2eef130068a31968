"""contacts: contacts, custom attributes, audiences, imports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ringcast.db.types import UtcDateTime

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _org_fk() -> sa.Column[str]:
    return sa.Column(
        "organization_id",
        sa.String(36),
        sa.ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
    )


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    ]


def upgrade() -> None:
    live = sa.text("deleted_at IS NULL")
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(36), primary_key=True),
        _org_fk(),
        sa.Column("primary_phone", sa.String(16), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=True),
        sa.Column("last_name", sa.String(100), nullable=True),
        sa.Column("full_name", sa.String(200), nullable=True),
        sa.Column("primary_email", sa.String(254), nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("city", sa.String(100), nullable=True),
        sa.Column("state", sa.String(100), nullable=True),
        sa.Column("zip", sa.String(20), nullable=True),
        sa.Column("occupation", sa.String(100), nullable=True),
        sa.Column("preferred_channel", sa.String(50), nullable=True),
        sa.Column("gender", sa.String(16), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=True),
        sa.Column("custom_attributes", sa.JSON(), nullable=True),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        *_timestamps(),
    )
    op.create_index(
        "uq_contacts_org_phone_live",
        "contacts",
        ["organization_id", "primary_phone"],
        unique=True,
        sqlite_where=live,
        postgresql_where=live,
    )
    op.create_index("ix_contacts_org_created", "contacts", ["organization_id", "created_at"])
    op.create_table(
        "custom_attributes",
        sa.Column("id", sa.String(36), primary_key=True),
        _org_fk(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        *_timestamps(),
        sa.UniqueConstraint("organization_id", "name", name="uq_custom_attributes_org_name"),
    )
    op.create_table(
        "contact_imports",
        sa.Column("id", sa.String(36), primary_key=True),
        _org_fk(),
        sa.Column("audience_id", sa.String(36), nullable=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("processed_rows", sa.Integer(), nullable=False),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("updated_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        *_timestamps(),
    )
    op.create_index("ix_contact_imports_organization_id", "contact_imports", ["organization_id"])
    op.create_table(
        "audiences",
        sa.Column("id", sa.String(36), primary_key=True),
        _org_fk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        *_timestamps(),
    )
    op.create_index("ix_audiences_organization_id", "audiences", ["organization_id"])
    op.create_table(
        "audience_contacts",
        sa.Column(
            "audience_id",
            sa.String(36),
            sa.ForeignKey("audiences.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "contact_id",
            sa.String(36),
            sa.ForeignKey("contacts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_audience_contacts_contact_id", "audience_contacts", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_audience_contacts_contact_id", table_name="audience_contacts")
    op.drop_table("audience_contacts")
    op.drop_index("ix_audiences_organization_id", table_name="audiences")
    op.drop_table("audiences")
    op.drop_index("ix_contact_imports_organization_id", table_name="contact_imports")
    op.drop_table("contact_imports")
    op.drop_table("custom_attributes")
    op.drop_index("ix_contacts_org_created", table_name="contacts")
    op.drop_index("uq_contacts_org_phone_live", table_name="contacts")
    op.drop_table("contacts")
