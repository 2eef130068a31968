"""Event names and payloads.

Every event is `{id, type, createdAt, organizationId, data}`; `data` is
camelCase like the rest of the API. `call.completed` is sent for every
recorded attempt (`final` says whether the job is done or will be retried);
`execution.*` for program executions only (a single call request reports
through `call.completed`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CALL_COMPLETED = "call.completed"
EXECUTION_EVENTS = (
    "execution.started",
    "execution.paused",
    "execution.resumed",
    "execution.cancelled",
    "execution.completed",
    "execution.stopped",
)
TEST = "webhook.test"
EVENT_TYPES = (CALL_COMPLETED, *EXECUTION_EVENTS, TEST)
"""What a subscription may list (or `*` for all)."""

# the event an execution's new status announces
_STATUS_EVENTS = {
    "paused": "execution.paused",
    "paused_threshold": "execution.paused",
    "cancelled": "execution.cancelled",
    "completed": "execution.completed",
    "stopped": "execution.stopped",
}


@dataclass(frozen=True, slots=True)
class Event:
    organization_id: str
    type: str
    data: dict[str, Any]
    created_at: datetime


def iso(at: datetime | None) -> str | None:
    """The API's timestamp format: ISO 8601, UTC, `Z`."""
    if at is None:
        return None
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def envelope(event_id: str, event: Event) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": event.type,
        "createdAt": iso(event.created_at),
        "organizationId": event.organization_id,
        "data": event.data,
    }


def call_completed(
    row: Mapping[str, Any],
    *,
    job_id: str,
    attempt: int,
    contact_id: str | None,
    program_id: str | None,
    job_status: str,
    next_attempt_at: datetime | None,
    at: datetime,
) -> Event:
    """From a recorded attempt's columns (`dialer/attempts.AttemptRecord.columns`)."""
    return Event(
        row["organization_id"],
        CALL_COMPLETED,
        {
            "callId": row["id"],
            "jobId": job_id,
            "executionId": row["execution_id"],
            "programId": program_id,
            "contactId": contact_id,
            "phone": row["to_number"] or None,
            "fromNumber": row.get("from_number"),
            "attempt": attempt,
            "status": row["status"],
            "outcome": row["outcome"],
            "outcomeReason": row.get("outcome_reason"),
            "answeredBy": row.get("answered_by"),
            "durationMs": row.get("duration_ms"),
            "dialedAt": iso(row.get("dialed_at")),
            "answeredAt": iso(row.get("answered_at")),
            "terminatedAt": iso(row.get("terminated_at")),
            "final": job_status != "pending",
            "nextAttemptAt": iso(next_attempt_at) if job_status == "pending" else None,
        },
        at,
    )


def execution_event(
    type_: str,
    *,
    organization_id: str,
    execution_id: str,
    program_id: str | None,
    status: str,
    at: datetime,
) -> Event:
    return Event(
        organization_id,
        type_,
        {"executionId": execution_id, "programId": program_id, "status": status},
        at,
    )


def status_event_type(status: str) -> str | None:
    """The event a move to `status` announces (None: no event, e.g. running)."""
    return _STATUS_EVENTS.get(status)
