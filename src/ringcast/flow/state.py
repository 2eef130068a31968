"""The run state the interpreter threads through `step`, and the call-status table.

`RunState` is plain data: the flow it runs (a `FlowIndex`: a compiled flow),
the context, flow variables, where the run is waiting, timers, the DTMF
progress and the trace.
The call itself moves through a small state machine (`CALL_TRANSITIONS`): the
interpreter only asks for moves that the table allows and raises
`IllegalTransitionError` otherwise (a bug, not a callee's doing — events that do
not fit the current state are ignored before they get here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ringcast.flow.context import RunContext
from ringcast.flow.nodes.base import NodeModel
from ringcast.flow.trace import FlowTrace, LegRecord

CallStatus = Literal["idle", "ringing", "answered", "not_connected", "ended"]

CALL_TRANSITIONS: dict[tuple[CallStatus, str], CallStatus] = {
    ("idle", "dial"): "ringing",
    ("idle", "answer"): "ringing",
    ("ringing", "answered"): "answered",
    ("ringing", "failed"): "not_connected",
    ("ringing", "end"): "ended",
    ("answered", "end"): "ended",
    ("not_connected", "end"): "not_connected",
    ("idle", "end"): "idle",
}
"""(status, trigger) → next status. Anything absent is illegal."""

Waiting = Literal["dial", "answer", "play", "dtmf", "record", "forward"]


class IllegalTransitionError(Exception):
    """The interpreter asked the call to make a move its table forbids."""


class FlowIndex(Protocol):
    """The flow a run walks (`ringcast.flow.compiled.CompiledFlow`): its start and nodes."""

    @property
    def start_node_id(self) -> str: ...

    @property
    def nodes(self) -> Mapping[str, NodeModel]: ...

    @property
    def max_call_duration_sec(self) -> int | None: ...


@dataclass(slots=True)
class DtmfProgress:
    """One DTMF node visit: prompting or collecting, and digits so far."""

    phase: Literal["prompt", "collect"] = "prompt"
    digits: str = ""
    attempt: int = 0


@dataclass(slots=True)
class ForwardProgress:
    """One Forward node visit: the targets left to try and the leg in progress."""

    targets: list[str]
    leg: LegRecord
    bridged: bool = False


@dataclass(slots=True)
class RunState:
    flow: FlowIndex
    ctx: RunContext
    trace: FlowTrace
    variables: dict[str, Any] = field(default_factory=dict)
    call_status: CallStatus = "idle"
    dial_failure: str | None = None
    dial_reason: str | None = None
    answered_by: str | None = None
    voicemail: bool = False
    node_id: str | None = None
    waiting: Waiting | None = None
    playing: bool = False
    stop_pending: int = 0
    """Stops sent whose PlaybackDone has not arrived yet (that done is not ours)."""
    timer_seq: int = 0
    active_timer: str | None = None
    digit_buffer: list[str] = field(default_factory=list)
    dtmf: DtmfProgress | None = None
    dtmf_failures: dict[str, int] = field(default_factory=dict)
    forward: ForwardProgress | None = None
    executions: int = 0
    last_error: str | None = None
    finished: bool = False

    def move_call(self, trigger: str) -> None:
        nxt = CALL_TRANSITIONS.get((self.call_status, trigger))
        if nxt is None:
            raise IllegalTransitionError(f"call {self.call_status} cannot {trigger}")
        self.call_status = nxt

    @property
    def public_status(self) -> str:
        """`sys.callStatus`: initiated, ringing, answered, no_answer/busy/..., completed."""
        if self.call_status == "idle":
            return "initiated"
        if self.call_status == "not_connected":
            return self.dial_failure or "failed"
        if self.call_status == "ended":
            return "completed"
        return self.call_status
