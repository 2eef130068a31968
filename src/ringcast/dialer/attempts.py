"""An attempt as typed data (`AttemptRecord`), from the launcher's `CallResult`."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from ringcast.dialer.launcher import CallResult
from ringcast.programs.models import Execution


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One `call_attempts` row, as the dialer writes it (the job and attempt number
    come from the claim, in `FinishItem`)."""

    id: str  # the report's callId
    organization_id: str
    execution_id: str
    status: str  # the call's status: completed (answered), lost, or the outcome
    direction: str
    from_number: str | None
    to_number: str
    created_at: datetime
    dialed_at: datetime | None
    answered_at: datetime | None
    terminated_at: datetime | None
    duration_ms: int | None
    outcome: str
    outcome_reason: str | None
    answered_by: str | None
    amd: dict[str, Any] | None
    flow_execution: dict[str, Any] | None
    events: list[dict[str, Any]]
    legs: list[dict[str, Any]] | None = None  # the Forward node's second legs
    trunk_id: str | None = None
    trunks_tried: list[str] | None = None

    @classmethod
    def of(
        cls,
        execution: Execution,
        call_id: str,
        caller_id: str | None,
        to_number: str,
        created_at: datetime,
        result: CallResult,
        direction: str = "outbound",
    ) -> AttemptRecord:
        duration = None
        if result.answered_at is not None and result.terminated_at is not None:
            duration = int((result.terminated_at - result.answered_at).total_seconds() * 1000)
        answered = result.answered_at is not None
        return cls(
            id=call_id,
            organization_id=execution.organization_id,
            execution_id=execution.id,
            status="completed" if answered else result.outcome,
            direction=direction,
            from_number=caller_id or None,
            to_number=to_number,
            created_at=created_at,
            dialed_at=result.dialed_at,
            answered_at=result.answered_at,
            terminated_at=result.terminated_at,
            duration_ms=duration,
            outcome=result.outcome,
            outcome_reason=result.outcome_reason,
            answered_by=result.answered_by,
            amd=result.amd,
            flow_execution=result.flow_execution,
            events=result.events,
            legs=result.legs or None,
            trunk_id=result.trunk_id,
            trunks_tried=result.trunks_tried or None,
        )

    def lost(self) -> AttemptRecord:
        """The same attempt recorded for a lease that expired (a dead dialer)."""
        return replace(self, status="lost")

    def columns(self) -> dict[str, Any]:
        """The `CallAttempt` column values (shallow: no copy of the trace)."""
        return {name: getattr(self, name) for name in _COLUMNS}


_COLUMNS = tuple(f.name for f in fields(AttemptRecord))
