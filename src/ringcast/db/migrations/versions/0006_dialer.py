"""dialer: DIDs, programs, executions, jobs, attempts, do-not-call

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ringcast.db.types import UtcDateTime

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
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
    op.create_table(
        "dids",
        sa.Column("id", sa.String(36), primary_key=True),
        _org_fk(),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column(
            "trunk_id",
            sa.String(36),
            sa.ForeignKey("trunks.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("inbound_flow_id", sa.String(36), nullable=True),
        sa.Column("last_used_at", UtcDateTime(), nullable=True),
        *_timestamps(),
        sa.UniqueConstraint("organization_id", "number", name="uq_dids_organization_id"),
    )
    op.create_table(
        "dnc_entries",
        sa.Column("id", sa.String(36), primary_key=True),
        _org_fk(),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("organization_id", "phone", name="uq_dnc_entries_organization_id"),
    )
    op.create_table(
        "programs",
        sa.Column("id", sa.String(36), primary_key=True),
        _org_fk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("audience_id", sa.String(36), nullable=False),
        sa.Column("flow_id", sa.String(36), nullable=False),
        sa.Column("start_at", UtcDateTime(), nullable=True),
        sa.Column("stop_at", UtcDateTime(), nullable=True),
        sa.Column("did_pool", sa.JSON(), nullable=False),
        sa.Column("retry_strategy", sa.JSON(), nullable=False),
        sa.Column("pause_windows", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("max_concurrent_calls", sa.Integer(), nullable=False),
        sa.Column("calls_per_second", sa.Float(), nullable=False),
        sa.Column("auto_pause_rules", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *_timestamps(),
    )
    op.create_index("ix_programs_organization_id", "programs", ["organization_id"])
    op.create_table(
        "program_executions",
        sa.Column("id", sa.String(36), primary_key=True),
        _org_fk(),
        sa.Column(
            "program_id",
            sa.String(36),
            sa.ForeignKey("programs.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("flow_id", sa.String(36), nullable=False),
        sa.Column("flow_name", sa.String(200), nullable=False),
        sa.Column("flow_version", sa.Integer(), nullable=False),
        sa.Column("flow_graph", sa.JSON(), nullable=False),
        sa.Column("did_pool", sa.JSON(), nullable=False),
        sa.Column("retry_strategy", sa.JSON(), nullable=False),
        sa.Column("pause_windows", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("max_concurrent_calls", sa.Integer(), nullable=False),
        sa.Column("calls_per_second", sa.Float(), nullable=False),
        sa.Column("auto_pause_rules", sa.JSON(), nullable=False),
        sa.Column("total_contacts", sa.Integer(), nullable=False),
        sa.Column("scheduled_start_at", UtcDateTime(), nullable=True),
        sa.Column("scheduled_stop_at", UtcDateTime(), nullable=True),
        sa.Column("actual_start_at", UtcDateTime(), nullable=True),
        sa.Column("actual_end_at", UtcDateTime(), nullable=True),
        *_timestamps(),
    )
    op.create_index("ix_program_executions_program_id", "program_executions", ["program_id"])
    op.create_index(
        "ix_program_executions_status_org", "program_executions", ["status", "organization_id"]
    )
    op.create_table(
        "execution_node_counts",
        sa.Column(
            "execution_id",
            sa.String(36),
            sa.ForeignKey("program_executions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("node_id", sa.String(100), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "execution_id",
            sa.String(36),
            sa.ForeignKey("program_executions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("contact_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", UtcDateTime(), nullable=True),
        sa.Column("final_outcome", sa.String(16), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_jobs_claim", "jobs", ["execution_id", "status", "next_attempt_at"])
    in_progress = sa.text("status = 'in_progress'")
    op.create_index(
        "ix_jobs_lease",
        "jobs",
        ["lease_expires_at"],
        sqlite_where=in_progress,
        postgresql_where=in_progress,
    )
    op.create_table(
        "call_attempts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "job_id", sa.Integer(), sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("organization_id", sa.String(36), nullable=False),
        sa.Column("execution_id", sa.String(36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("from_number", sa.String(20), nullable=True),
        sa.Column("to_number", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("dialed_at", UtcDateTime(), nullable=True),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.Column("terminated_at", UtcDateTime(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("outcome_reason", sa.String(200), nullable=True),
        sa.Column("answered_by", sa.String(16), nullable=True),
        sa.Column("amd", sa.JSON(), nullable=True),
        sa.Column("flow_execution", sa.JSON(), nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.UniqueConstraint("job_id", "attempt", name="uq_call_attempts_job_id"),
    )
    op.create_index("ix_call_attempts_execution_id", "call_attempts", ["execution_id"])
    op.create_table(
        "recordings",
        sa.Column("id", sa.String(36), primary_key=True),
        _org_fk(),
        sa.Column(
            "job_id", sa.Integer(), sa.ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("call_id", sa.String(36), nullable=True),
        sa.Column("node_id", sa.String(100), nullable=True),
        sa.Column("storage_key", sa.String(512), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        *_timestamps(),
    )
    op.create_index("ix_recordings_organization_id", "recordings", ["organization_id"])


def downgrade() -> None:
    for table in (
        "recordings",
        "call_attempts",
        "jobs",
        "execution_node_counts",
        "program_executions",
        "programs",
        "dnc_entries",
        "dids",
    ):
        op.drop_table(table)
