"""An attempt's database row, from the launcher's `CallResult`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ringcast.dialer.launcher import CallResult
from ringcast.programs.models import Execution


def attempt_row(
    execution: Execution,
    call_id: str,
    caller_id: str | None,
    to_number: str,
    created_at: datetime,
    result: CallResult,
    direction: str = "outbound",
) -> dict[str, Any]:
    duration = None
    if result.answered_at is not None and result.terminated_at is not None:
        duration = int((result.terminated_at - result.answered_at).total_seconds() * 1000)
    answered = result.answered_at is not None
    return {
        "id": call_id,
        "organization_id": execution.organization_id,
        "execution_id": execution.id,
        "status": "completed" if answered else result.outcome,
        "direction": direction,
        "from_number": caller_id or None,
        "to_number": to_number,
        "created_at": created_at,
        "dialed_at": result.dialed_at,
        "answered_at": result.answered_at,
        "terminated_at": result.terminated_at,
        "duration_ms": duration,
        "outcome": result.outcome,
        "outcome_reason": result.outcome_reason,
        "answered_by": result.answered_by,
        "amd": result.amd,
        "flow_execution": result.flow_execution,
        "events": result.events,
    }
