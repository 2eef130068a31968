"""Walking the graph: one `Step` = one call of `start`/`step`.

A `Step` holds the run state, the time of the event and the actions emitted so
far, and knows how to move: `follow(output)` records the output taken on the
current `executionPath` entry, picks its target (the specific output, else
`default`) and enters it, looping while nodes complete at once (condition,
set_variable) so a chain of instant nodes never recurses. Entering counts the
node against the budget and calls its type's `enter` (`ringcast.flow.nodes`).
An output that leads nowhere ends the call normally (`unwired_output` in the trace), except an
unwired `onError`, which ends it as `failed` with the error code as reason.
`finish` computes the outcome and emits `Hangup` (if the line is up) and `End`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from ringcast.audio.requests import ClipRequest
from ringcast.flow.clips import build_clips
from ringcast.flow.context import CallFacts, resolve_value
from ringcast.flow.events import (
    Action,
    CancelTimer,
    End,
    Hangup,
    Play,
    SetTimer,
    StopPlayback,
)
from ringcast.flow.nodes import forward
from ringcast.flow.nodes.base import NodeModel
from ringcast.flow.nodes.dtmf import DtmfNode
from ringcast.flow.nodes.run import NodeRun
from ringcast.flow.state import RunState
from ringcast.flow.trace import PathEntry, TraceEvent
from ringcast.flow.values import AudioItem, ValueSource

CALL_LIMIT_TIMER: Final = "call-limit"
SYSTEM_FAILURES: Final = frozenset(
    {"node_budget_exceeded", "max_duration", "node_stalled", "unknown_node"}
)
"""Reasons that make a run `failed` even when the dial had already failed."""


class Step:
    """One call of `start`/`step`: the state, the time, and the actions emitted."""

    __slots__ = ("at", "out", "st")

    def __init__(self, state: RunState, at: datetime) -> None:
        self.st = state
        self.at = at
        self.out: list[Action] = []

    # ---- walking -------------------------------------------------------------------

    def node(self) -> NodeModel:
        assert self.st.node_id is not None
        return self.st.flow.nodes[self.st.node_id]

    def enter_and_follow(self, node_id: str) -> None:
        output = self._enter(node_id)
        if output is not None:
            self.follow(output)

    def follow(self, output: str | None) -> None:
        while output is not None and not self.st.finished:
            target = self._take(output)
            if target is None:
                return
            output = self._enter(target)

    def _take(self, output: str) -> str | None:
        st = self.st
        node = self.node()
        st.waiting = None
        st.dtmf = None
        self.cancel_timer()
        self.stop_playback()
        taken = output
        if output.startswith("branches.") and isinstance(node, DtmfNode):
            target = node.all_branches().get(output[len("branches.") :])
        else:
            target = node.target(output)
            if target is None and (fallback := node.target("default")) is not None:
                target, taken = fallback, "default"
        st.trace.execution_path[-1].output_path = taken
        if target is None:
            self.log("unwired_output", {"output": output})
            if output == "onError":
                self.finish(outcome="failed", reason=st.last_error or "node_error")
            else:
                self.finish(reason="end_of_flow")
        return target

    def _enter(self, node_id: str) -> str | None:
        st = self.st
        st.executions += 1
        if st.executions > st.ctx.node_budget:
            self.log("node_budget_exceeded", {"budget": st.ctx.node_budget, "nextNodeId": node_id})
            self.finish(outcome="failed", reason="node_budget_exceeded")
            return None
        node = st.flow.nodes.get(node_id)
        if node is None:  # only an unvalidated graph gets here
            self.log("unknown_node", {"nodeId": node_id})
            self.finish(outcome="failed", reason="unknown_node")
            return None
        st.node_id = node_id
        counts = st.trace.node_execution_count
        counts[node_id] = counts.get(node_id, 0) + 1
        st.trace.execution_path.append(PathEntry(node.id, node.type, node.label, self.at))
        return node.enter(self.as_node_run())

    # ---- helpers -------------------------------------------------------------------

    def as_node_run(self) -> NodeRun:
        """This step as the node types see it (checks that `Step` is a `NodeRun`)."""
        return self

    def log(self, type_: str, data: dict[str, Any] | None = None) -> None:
        payload = dict(data) if data else {}
        if self.st.node_id is not None:
            node = self.node()
            payload["nodeContext"] = {
                "nodeId": node.id,
                "nodeType": node.type,
                "nodeLabel": node.label,
            }
        self.st.trace.event_log.append(TraceEvent(type_, self.at, payload))

    def error(self, code: str, **data: Any) -> str:
        """Note a node error and return `onError` for the caller to follow."""
        self.st.last_error = code
        self.log("node_error", {"code": code, **data})
        return "onError"

    def read(self, source: ValueSource) -> Any:
        st = self.st
        return resolve_value(
            source, st.ctx, st.variables, CallFacts(st.public_status, st.answered_by)
        )

    def arm(self, delay_ms: int) -> None:
        self.cancel_timer()
        st = self.st
        st.timer_seq += 1
        st.active_timer = f"t{st.timer_seq}"
        self.out.append(SetTimer(st.active_timer, delay_ms))

    def cancel_timer(self) -> None:
        if self.st.active_timer is not None:
            self.out.append(CancelTimer(self.st.active_timer))
            self.st.active_timer = None

    def play(self, clips: tuple[ClipRequest, ...], barge_in: bool) -> None:
        self.out.append(Play(clips, barge_in))
        self.st.playing = True

    def stop_playback(self) -> None:
        if self.st.playing:
            self.out.append(StopPlayback())
            self.st.playing = False
            self.st.stop_pending += 1

    def clips(self, items: Sequence[AudioItem]) -> tuple[ClipRequest, ...] | None:
        """The clip requests for `items`; None (after `error`) if a value is unusable."""
        built = build_clips(items, self.read)
        if isinstance(built, str):
            self.error(built)
            return None
        return built

    def finish(
        self,
        *,
        outcome: str | None = None,
        reason: str | None = None,
        hangup: str = "normal",
        callee: bool = False,
    ) -> None:
        st = self.st
        if st.finished:
            return
        self.cancel_timer()
        forward.stop(self, "callee_hangup" if callee else reason or "flow_ended")
        call = st.trace.call
        if st.dial_failure is not None and reason not in SYSTEM_FAILURES:
            # Never connected: that is the call's outcome, whatever the flow did next.
            outcome, reason = st.dial_failure, st.dial_reason
        elif outcome is None:
            if call.answered_at is not None:
                outcome = "voicemail" if st.voicemail else "completed"
            else:
                outcome, reason = "failed", "not_connected"
        if st.call_status in ("ringing", "answered"):
            if not callee:
                self.out.append(Hangup(hangup))
            call.terminated_at = self.at
        st.move_call("end")
        st.waiting = None
        st.finished = True
        trace = st.trace
        trace.outcome, trace.outcome_reason = outcome, reason
        trace.flow_completed_at = self.at
        trace.final_variables = dict(st.variables)
        self.log("flow_completed", {"outcome": outcome, "outcomeReason": reason})
        self.out.append(End(outcome, reason))
