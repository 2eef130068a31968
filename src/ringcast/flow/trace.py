"""The run's record: what the call report's `flowExecution` and `events` show.

The interpreter appends to a `FlowTrace` as it goes (datetimes kept as objects,
formatted only when serialised, so a run costs little). `to_dict()` is the
simulate response; `flow_execution()` is exactly the call report's
`flowExecution` object and `events()` its `events` list (API.md, "Single calls and
call reports"). Timestamps are ISO-8601 UTC with milliseconds and a `Z`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any


def iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def talk_ms(answered_at: datetime | None, terminated_at: datetime | None) -> int | None:
    """Milliseconds from answer to hang-up, or None if either is unknown."""
    if answered_at is None or terminated_at is None:
        return None
    return int((terminated_at - answered_at).total_seconds() * 1000)


NO_KEY = "none"
MAX_TALLIED_KEYS = 3


@dataclass(slots=True)
class PathEntry:
    node_id: str
    node_type: str
    node_label: str | None
    at: datetime
    output_path: str | None = None
    """The output taken (`onAnswer`, `branches.1`, `default`); null if the run
    ended in the node (a hangup node, the callee hung up, the budget ran out)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodeId": self.node_id,
            "nodeType": self.node_type,
            "nodeLabel": self.node_label,
            "outputPath": self.output_path,
            "timestamp": iso(self.at),
        }


@dataclass(slots=True)
class TraceEvent:
    type: str
    at: datetime
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "timestamp": iso(self.at), "data": _jsonable(self.data)}


@dataclass(slots=True)
class CallRecord:
    """Call timing for the report's `call` object (the dialer adds from/to/status)."""

    direction: str = "outbound"
    dialed_at: datetime | None = None
    answered_at: datetime | None = None
    terminated_at: datetime | None = None
    answered_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "dialedAt": iso(self.dialed_at),
            "answeredAt": iso(self.answered_at),
            "terminatedAt": iso(self.terminated_at),
            "durationMs": talk_ms(self.answered_at, self.terminated_at),
            "answeredBy": self.answered_by,
        }


@dataclass(slots=True)
class LegRecord:
    """A forwarded leg (Forward node): the report's `legs[]` entry."""

    to: str
    from_: str
    started_at: datetime
    trunk: str | None = None
    answered_at: datetime | None = None
    terminated_at: datetime | None = None
    outcome: str | None = None
    """completed, no_answer, busy, rejected, failed, cancelled (the callee hung up
    or the flow stopped it while it rang)."""
    reason: str | None = None
    sip_status: int | None = None
    """The agent leg's final SIP status when it failed (486 busy, 480...)."""
    node_id: str | None = None
    recording_id: str | None = None
    """The bridged conversation's stereo recording (callee left, agent right)."""

    @property
    def hung_up_by(self) -> str | None:
        """Who ended a leg that connected: `agent`, `callee`, or `flow` (its maximum
        duration, a hangup node); None for a leg that never connected."""
        if self.answered_at is None or self.terminated_at is None:
            return None
        if self.reason == "agent_hangup":
            return "agent"
        if self.reason == "callee_hangup":
            return "callee"
        return "flow"

    def to_dict(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "from": self.from_,
            "trunk": self.trunk,
            "startedAt": iso(self.started_at),
            "answeredAt": iso(self.answered_at),
            "terminatedAt": iso(self.terminated_at),
            "durationMs": talk_ms(self.answered_at, self.terminated_at),
            "outcome": self.outcome,
            "reason": self.reason,
            "sipStatus": self.sip_status,
            "hungUpBy": self.hung_up_by,
            "nodeId": self.node_id,
            "recordingId": self.recording_id,
        }


@dataclass(slots=True)
class FlowTrace:
    flow_started_at: datetime
    flow_id: str | None = None
    flow_name: str | None = None
    flow_version: int | None = None
    flow_completed_at: datetime | None = None
    execution_path: list[PathEntry] = field(default_factory=list)
    event_log: list[TraceEvent] = field(default_factory=list)
    final_variables: dict[str, Any] = field(default_factory=dict)
    node_execution_count: dict[str, int] = field(default_factory=dict)
    outcome: str | None = None
    outcome_reason: str | None = None
    call: CallRecord = field(default_factory=CallRecord)
    legs: list[LegRecord] = field(default_factory=list)

    def flow_execution(self) -> dict[str, Any]:
        """The call report's `flowExecution` object."""
        return {
            "flowId": self.flow_id,
            "flowName": self.flow_name,
            "flowVersion": self.flow_version,
            "executionPath": [p.to_dict() for p in self.execution_path],
            "finalVariables": _jsonable(self.final_variables),
            "nodeExecutionCount": dict(self.node_execution_count),
            "flowStartedAt": iso(self.flow_started_at),
            "flowCompletedAt": iso(self.flow_completed_at),
        }

    def events(self) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.event_log]

    def key_results(self) -> dict[str, str]:
        """How each DTMF node this call ran ended, for key-press tallies: the keys it
        last collected (longer entries than `MAX_TALLIED_KEYS` as `digits`), else
        its last failure (`timeout`, `invalid`), else `none` (left without a key:
        the callee hung up, an error)."""
        results = {e.node_id: NO_KEY for e in self.execution_path if e.node_type == "dtmf"}
        collected: set[str] = set()
        for event in self.event_log:
            context = event.data.get("nodeContext")
            node = context.get("nodeId") if isinstance(context, dict) else None
            if node not in results:
                continue
            if event.type == "dtmf_collected":
                value = str(event.data.get("value"))
                results[node] = value if len(value) <= MAX_TALLIED_KEYS else "digits"
                collected.add(node)
            elif event.type in ("dtmf_timeout", "dtmf_invalid") and node not in collected:
                results[node] = event.type.removeprefix("dtmf_")
        return results

    def to_dict(self) -> dict[str, Any]:
        """Everything: the simulate response (`flowExecution` fields flattened in)."""
        return {
            "outcome": self.outcome,
            "outcomeReason": self.outcome_reason,
            **self.flow_execution(),
            "events": self.events(),
            "call": self.call.to_dict(),
            "legs": [leg.to_dict() for leg in self.legs],
        }


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _jsonable(value: Any) -> Any:
    if type(value) in _SCALARS:  # most values: no isinstance chain
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
