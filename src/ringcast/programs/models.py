from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ringcast.db.base import Base, IdMixin, TimestampMixin
from ringcast.db.types import UtcDateTime


class Program(IdMixin, TimestampMixin, Base):
    __tablename__ = "programs"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # no FKs to audiences/flows: other packages own those tables; the service checks
    audience_id: Mapped[str] = mapped_column(String(36), nullable=False)
    flow_id: Mapped[str] = mapped_column(String(36), nullable=False)
    start_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    stop_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    did_pool: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    retry_strategy: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    pause_windows: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    # program | contact: windows read in the program's zone or each callee's
    timezone_mode: Mapped[str] = mapped_column(
        String(16), nullable=False, default="program", server_default="program"
    )
    max_concurrent_calls: Mapped[int] = mapped_column(Integer, nullable=False)
    calls_per_second: Mapped[float] = mapped_column(Float, nullable=False)
    auto_pause_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)


class Execution(IdMixin, TimestampMixin, Base):
    """One launch of a program, or one single call request (`program_id` NULL).

    Everything the dialer needs is copied here at launch (pinned flow graph,
    DID pool, retry strategy, windows, pacing), so editing the program never
    changes a running execution.
    """

    __tablename__ = "program_executions"
    __table_args__ = (Index("ix_program_executions_status_org", "status", "organization_id"),)

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    program_id: Mapped[str | None] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True, nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # program | single
    # the program's audience at launch (its snapshot); NULL for a single call
    audience_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    flow_id: Mapped[str] = mapped_column(String(36), nullable=False)
    flow_name: Mapped[str] = mapped_column(String(200), nullable=False)
    flow_version: Mapped[int] = mapped_column(Integer, nullable=False)
    flow_graph: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    did_pool: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    retry_strategy: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    pause_windows: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    # program | contact: windows read in the program's zone or each callee's
    timezone_mode: Mapped[str] = mapped_column(
        String(16), nullable=False, default="program", server_default="program"
    )
    max_concurrent_calls: Mapped[int] = mapped_column(Integer, nullable=False)
    calls_per_second: Mapped[float] = mapped_column(Float, nullable=False)
    auto_pause_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    total_contacts: Mapped[int] = mapped_column(Integer, nullable=False)
    scheduled_start_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    scheduled_stop_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    actual_start_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    actual_end_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class ExecutionNodeCount(Base):
    """How many times a flow node ran across an execution's calls (autoPauseRules)."""

    __tablename__ = "execution_node_counts"

    execution_id: Mapped[str] = mapped_column(
        ForeignKey("program_executions.id", ondelete="CASCADE"), primary_key=True
    )
    node_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


class ExecutionKeyCount(Base):
    """How DTMF nodes ended across an execution's calls: per node, how many calls
    pressed each key (or `timeout`, `invalid`, `none`); the flow graph's tallies."""

    __tablename__ = "execution_key_counts"

    execution_id: Mapped[str] = mapped_column(
        ForeignKey("program_executions.id", ondelete="CASCADE"), primary_key=True
    )
    node_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
