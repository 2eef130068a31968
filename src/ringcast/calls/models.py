from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ringcast.db.base import Base, IdMixin, TimestampMixin
from ringcast.db.ids import uuid7
from ringcast.db.types import UtcDateTime


class Job(Base):
    """One contact to call in one execution; its lease says who is calling it.

    Narrow on purpose: a launch creates a million of these in one `INSERT ...
    SELECT`, ids included (time-ordered UUIDs made by the database, see
    `db/ids.py`; a single or inbound call's job gets `uuid7()` in Python).
    The organization is the execution's; `updated_at` is NULL until the job
    first changes. The lease index is partial (only jobs in progress), so
    launching writes nothing to it.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claim", "execution_id", "status", "next_attempt_at", "id"),
        Index(
            "ix_jobs_lease",
            "lease_expires_at",
            sqlite_where=text("status = 'in_progress'"),
            postgresql_where=text("status = 'in_progress'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid7)
    execution_id: Mapped[str] = mapped_column(
        ForeignKey("program_executions.id", ondelete="CASCADE"), nullable=False
    )
    # no FK to contacts (another package's table; contacts are soft-deleted)
    contact_id: Mapped[str] = mapped_column(String(36), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    attempt_count: Mapped[int] = mapped_column(Integer, nullable=False)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    final_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # while in progress: the flow node the call is in and since when (the dialer
    # writes it about once a second; cleared at each claim)
    node_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    node_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    node_entered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class CallAttempt(IdMixin, Base):
    """One call attempt of a job; `id` is the report's `callId`.

    (job_id, attempt) is unique: the database itself refuses a second record
    of the same attempt, whatever two dialers believe.
    """

    __tablename__ = "call_attempts"
    __table_args__ = (
        UniqueConstraint("job_id", "attempt"),
        # an execution's outcome counts read from the index alone (dashboard, reports)
        Index("ix_call_attempts_outcomes", "execution_id", "outcome", "answered_by"),
        # an execution's latest attempts and its recent call rate
        Index("ix_call_attempts_recent", "execution_id", "created_at"),
    )

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False)
    organization_id: Mapped[str] = mapped_column(String(36), nullable=False)
    execution_id: Mapped[str] = mapped_column(String(36), nullable=False)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    direction: Mapped[str] = mapped_column(String(16), nullable=False)
    from_number: Mapped[str | None] = mapped_column(String(21), nullable=True)
    to_number: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    dialed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    terminated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    outcome_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    amd: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    flow_execution: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    legs: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    """The Forward node's second legs (`LegRecord.to_dict`); NULL: none."""
    # the trunk that carried the attempt, and every trunk it was offered to (failover)
    trunk_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    trunks_tried: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class Recording(IdMixin, TimestampMixin, Base):
    __tablename__ = "recordings"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    job_id: Mapped[str | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True
    )
    call_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    node_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    storage_key: Mapped[str] = mapped_column(String(512), nullable=False)
    content_type: Mapped[str] = mapped_column(String(64), nullable=False)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
