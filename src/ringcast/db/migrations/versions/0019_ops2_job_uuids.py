"""jobs.id becomes a UUID (and call_attempts.job_id, recordings.job_id with it)

Job ids were sequential integers ("1", "2", ...); Gomobile's are UUIDs. New
jobs get time-ordered version 7 UUIDs (`db/ids.py`). Existing jobs get
version 7 UUIDs too, made from the time of this upgrade and their old number
(`prefix` + the integer in the last 62 bits), so they keep their relative
order, sort before every job made later and stay unique.

SQLite cannot change a primary key's type in place, and dropping `jobs` while
`call_attempts` (ON DELETE CASCADE) and `recordings` (SET NULL) point at it
would run those actions. So the three tables are rebuilt as new tables that
reference each other, copied through an old-id -> new-id map, the old ones
dropped children first, and the new ones renamed (SQLite >= 3.26 rewrites the
REFERENCES clauses to follow the rename). PostgreSQL swaps the columns in place.

The downgrade numbers jobs 1, 2, ... in id order (their creation order).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from ringcast.db.types import UtcDateTime

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JOB_COLUMNS = (
    "execution_id, contact_id, status, attempt_count, next_attempt_at, lease_owner,"
    " lease_expires_at, final_outcome, updated_at"
)
ATTEMPT_COLUMNS = (
    "id, organization_id, execution_id, attempt, status, direction, from_number, to_number,"
    " created_at, dialed_at, answered_at, terminated_at, duration_ms, outcome, outcome_reason,"
    " answered_by, amd, flow_execution, events, legs, trunk_id, trunks_tried"
)
RECORDING_COLUMNS = (
    "id, organization_id, call_id, node_id, storage_key, content_type, duration_ms,"
    " size_bytes, created_at, updated_at"
)


def _prefix() -> str:
    """The UUID's first 19 characters: now in ms, version 7, 12 random bits."""
    high = f"{time.time_ns() // 1_000_000:012x}"
    return f"{high[:8]}-{high[8:]}-7{secrets.randbits(12):03x}-"


def _new_id(dialect: str, number: str) -> str:
    """SQL for the UUID of old job `number`: prefix, variant, the number's 62 bits."""
    high = f"(32768 + (({number} >> 48) & 16383))"
    low = f"({number} & 281474976710655)"
    if dialect == "postgresql":
        return (
            f"'{_prefix()}' || lpad(to_hex({high}), 4, '0') || '-' || lpad(to_hex({low}), 12, '0')"
        )
    return f"'{_prefix()}' || printf('%04x-%012x', {high}, {low})"


def _jobs_table(name: str, id_type: sa.types.TypeEngine[Any]) -> None:
    op.create_table(
        name,
        sa.Column("id", id_type, nullable=False),
        sa.Column(
            "execution_id",
            sa.String(36),
            sa.ForeignKey(
                "program_executions.id",
                ondelete="CASCADE",
                name="fk_jobs_execution_id_program_executions",
            ),
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
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
    )


def _attempts_table(name: str, jobs: str, id_type: sa.types.TypeEngine[Any]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column(
            "job_id",
            id_type,
            sa.ForeignKey(f"{jobs}.id", ondelete="CASCADE", name="fk_call_attempts_job_id_jobs"),
            nullable=False,
        ),
        sa.Column("organization_id", sa.String(36), nullable=False),
        sa.Column("execution_id", sa.String(36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("from_number", sa.String(21), nullable=True),
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
        sa.Column("legs", sa.JSON(), nullable=True),  # 0016
        sa.Column("trunk_id", sa.String(36), nullable=True),  # 0017
        sa.Column("trunks_tried", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_call_attempts"),
        sa.UniqueConstraint("job_id", "attempt", name="uq_call_attempts_job_id"),
    )


def _recordings_table(name: str, jobs: str, id_type: sa.types.TypeEngine[Any]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column(
            "organization_id",
            sa.String(36),
            sa.ForeignKey(
                "organizations.id",
                ondelete="CASCADE",
                name="fk_recordings_organization_id_organizations",
            ),
            nullable=False,
        ),
        sa.Column(
            "job_id",
            id_type,
            sa.ForeignKey(f"{jobs}.id", ondelete="SET NULL", name="fk_recordings_job_id_jobs"),
            nullable=True,
        ),
        sa.Column("call_id", sa.String(36), nullable=True),
        sa.Column("node_id", sa.String(100), nullable=True),
        sa.Column("storage_key", sa.String(512), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recordings"),
    )


def _indexes() -> None:
    op.create_index("ix_jobs_claim", "jobs", ["execution_id", "status", "next_attempt_at"])
    in_progress = sa.text("status = 'in_progress'")
    op.create_index(
        "ix_jobs_lease",
        "jobs",
        ["lease_expires_at"],
        sqlite_where=in_progress,
        postgresql_where=in_progress,
    )
    op.create_index(
        "ix_call_attempts_outcomes", "call_attempts", ["execution_id", "outcome", "answered_by"]
    )
    op.create_index("ix_call_attempts_recent", "call_attempts", ["execution_id", "created_at"])
    op.create_index("ix_recordings_organization_id", "recordings", ["organization_id"])


def _rebuild_sqlite(new_id_sql: str, id_type: sa.types.TypeEngine[Any]) -> None:
    """Rebuild jobs, call_attempts and recordings with `id_type` job ids, the new id
    of each job being `new_id_sql` over the old one (column `id` of `jobs`)."""
    op.execute("DROP TABLE IF EXISTS _job_ids")
    op.execute("CREATE TABLE _job_ids (old_id PRIMARY KEY, new_id NOT NULL)")
    op.execute(f"INSERT INTO _job_ids (old_id, new_id) SELECT id, {new_id_sql} FROM jobs")
    _jobs_table("jobs_new", id_type)
    _attempts_table("call_attempts_new", "jobs_new", id_type)
    _recordings_table("recordings_new", "jobs_new", id_type)
    op.execute(
        f"INSERT INTO jobs_new (id, {JOB_COLUMNS}) SELECT m.new_id, {JOB_COLUMNS}"
        " FROM jobs JOIN _job_ids m ON m.old_id = jobs.id"
    )
    op.execute(
        f"INSERT INTO call_attempts_new (job_id, {ATTEMPT_COLUMNS})"
        f" SELECT m.new_id, {ATTEMPT_COLUMNS}"
        " FROM call_attempts JOIN _job_ids m ON m.old_id = call_attempts.job_id"
    )
    op.execute(
        f"INSERT INTO recordings_new (job_id, {RECORDING_COLUMNS})"
        f" SELECT m.new_id, {RECORDING_COLUMNS}"
        " FROM recordings LEFT JOIN _job_ids m ON m.old_id = recordings.job_id"
    )
    # children first: dropping jobs then deletes nothing through a foreign key
    for table in ("recordings", "call_attempts", "jobs", "_job_ids"):
        op.execute(f"DROP TABLE {table}")
    for table in ("jobs", "call_attempts", "recordings"):
        op.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    _indexes()


def _swap_postgresql(new_id_sql: str, id_type: str) -> None:
    """Replace the job id columns in place: new column, filled, keys moved over."""
    op.execute(f"ALTER TABLE jobs ADD COLUMN new_id {id_type}")
    op.execute(f"UPDATE jobs SET new_id = {new_id_sql}")
    for table in ("call_attempts", "recordings"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN new_job_id {id_type}")
        op.execute(
            f"UPDATE {table} SET new_job_id = jobs.new_id FROM jobs WHERE jobs.id = {table}.job_id"
        )
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT fk_{table}_job_id_jobs")
    op.execute("ALTER TABLE call_attempts DROP CONSTRAINT uq_call_attempts_job_id")
    op.execute("ALTER TABLE jobs DROP CONSTRAINT pk_jobs")
    op.execute("ALTER TABLE jobs DROP COLUMN id")
    op.execute("ALTER TABLE jobs RENAME COLUMN new_id TO id")
    op.execute("ALTER TABLE jobs ALTER COLUMN id SET NOT NULL")
    op.execute("ALTER TABLE jobs ADD CONSTRAINT pk_jobs PRIMARY KEY (id)")
    for table, action in (("call_attempts", "CASCADE"), ("recordings", "SET NULL")):
        op.execute(f"ALTER TABLE {table} DROP COLUMN job_id")
        op.execute(f"ALTER TABLE {table} RENAME COLUMN new_job_id TO job_id")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_job_id_jobs FOREIGN KEY (job_id)"
            f" REFERENCES jobs (id) ON DELETE {action}"
        )
    op.execute("ALTER TABLE call_attempts ALTER COLUMN job_id SET NOT NULL")
    op.execute(
        "ALTER TABLE call_attempts ADD CONSTRAINT uq_call_attempts_job_id UNIQUE (job_id, attempt)"
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _swap_postgresql(_new_id(dialect, "jobs.id::bigint"), "VARCHAR(36)")
    else:
        _rebuild_sqlite(_new_id(dialect, "id"), sa.String(36))


def downgrade() -> None:
    number = "row_number() OVER (ORDER BY id)"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE TEMPORARY TABLE _job_ids AS SELECT id, {number} AS n FROM jobs")
        op.execute("CREATE INDEX ON _job_ids (id)")
        _swap_postgresql("(SELECT n FROM _job_ids WHERE _job_ids.id = jobs.id)", "INTEGER")
        op.execute("DROP TABLE _job_ids")
        op.execute("CREATE SEQUENCE jobs_id_seq OWNED BY jobs.id")
        op.execute("SELECT setval('jobs_id_seq', COALESCE(max(id), 0) + 1, false) FROM jobs")
        op.execute("ALTER TABLE jobs ALTER COLUMN id SET DEFAULT nextval('jobs_id_seq')")
    else:
        _rebuild_sqlite(number, sa.Integer())
