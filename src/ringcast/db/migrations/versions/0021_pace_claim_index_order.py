"""jobs: the claim index ends with the job id, the claim's tie-breaker

ix_jobs_claim was (execution_id, status, next_attempt_at); the claim orders by
(next_attempt_at, id) and stops at its batch size. Every job of a launch is due at
the same instant, so without `id` in the index the database had to test the whole
tie group (every pending job of the execution) against the one-call-per-number
check before sorting and keeping the first few: 7-14 s per claim at 12,000 pending
jobs and 300 calls in progress on SQLite, holding the write lock all along (issue
19). With `id` last the index walk is already in claim order and stops at the
batch size.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ["execution_id", "status", "next_attempt_at"]


def upgrade() -> None:
    op.drop_index("ix_jobs_claim", table_name="jobs")
    op.create_index("ix_jobs_claim", "jobs", [*OLD, "id"])


def downgrade() -> None:
    op.drop_index("ix_jobs_claim", table_name="jobs")
    op.create_index("ix_jobs_claim", "jobs", OLD)
