from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from ringcast.kit.schemas import InputSchema, Schema, ZonedDatetime
from ringcast.scheduling.retry import CallRetry


class CallRequestCreate(InputSchema):
    """One call to one contact. Caller id: `didId` or `fromNumber` (an active DID
    of the organization); neither means the organization's active DIDs, LRU."""

    contact_id: str
    flow_id: str
    did_id: str | None = None
    from_number: str | None = None
    retry: CallRetry | None = None  # Gomobile's ad-hoc shapes or a program's
    start_at: ZonedDatetime | None = None


class CallRequestQueued(Schema):
    job_id: str
    status: Literal["queued"] = "queued"


class CallInfo(Schema):
    status: str
    direction: str
    from_: str | None = Field(alias="from")
    to: str
    created_at: datetime
    dialed_at: datetime | None
    answered_at: datetime | None
    terminated_at: datetime | None
    duration_ms: int | None


class CallLeg(Schema):
    """A forwarded (second) leg of the call: the Forward node's agent call
    (`call_attempts.legs`; keys a later version adds are ignored here)."""

    model_config = ConfigDict(**{**Schema.model_config, "extra": "ignore"})

    to: str
    from_: str | None = Field(None, alias="from")
    trunk: str | None = None
    started_at: datetime | None = None
    answered_at: datetime | None = None
    terminated_at: datetime | None = None
    duration_ms: int | None = None
    outcome: str | None = None
    reason: str | None = None
    sip_status: int | None = None
    hung_up_by: str | None = None
    node_id: str | None = None
    recording_id: str | None = None


class AttemptReport(Schema):
    call_id: str
    attempt: int
    call: CallInfo
    outcome: str
    outcome_reason: str | None
    answered_by: str | None
    """human | machine | unknown (AMD's verdict), `not run` (answered without AMD),
    None (never answered); see `calls.amd`."""
    amd_reason: str | None
    """The AMD rule that decided (long_greeting, after_greeting_silence, keyword, ...)."""
    amd_decision_ms: int | None
    """Audio time from answer to AMD's deciding frame."""
    amd_greeting_ms: int | None
    """The greeting heard by then: first word to the end of the last speech."""
    flow_execution: dict[str, Any] | None
    events: list[dict[str, Any]]
    legs: list[CallLeg] = Field(default_factory=list)
    trunk_id: str | None = None  # the trunk that carried the attempt
    trunks_tried: list[str] = Field(
        default_factory=list
    )  # every trunk it was offered to, in order (failover)


class CallReport(Schema):
    job_id: str
    execution_id: str
    program_id: str | None
    contact_id: str
    status: Literal["queued", "active", "completed", "failed"]
    final_outcome: str | None
    attempt_count: int
    next_attempt_at: datetime | None
    attempts: list[AttemptReport]


class ExportRequest(InputSchema):
    program_id: str | None = None
    execution_id: str | None = None


class Recording(Schema):
    id: str
    job_id: str | None
    call_id: str | None
    node_id: str | None
    content_type: str
    duration_ms: int
    size_bytes: int
    created_at: datetime


Direction = Literal["outbound", "inbound"]
Outcome = Literal["completed", "no_answer", "busy", "rejected", "voicemail", "failed", "cancelled"]


class CallSummary(Schema):
    """One call (an attempt) in `GET /api/call-report`; its job's whole report is
    `GET /api/call-report/{jobId}`."""

    job_id: str
    execution_id: str
    call_id: str
    attempt: int
    direction: str
    from_: str | None = Field(alias="from")
    to: str
    status: str
    outcome: str
    outcome_reason: str | None
    created_at: datetime
    answered_at: datetime | None
    duration_ms: int | None
