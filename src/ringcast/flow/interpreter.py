"""The flow interpreter: a pure state machine over a compiled graph.

    state, actions = start(flow, ctx, at)
    state, actions = step(state, event, at)      # until an `End` action

No I/O and no clock: the time of each event is passed in (`at`), and the actions
say what the runner must do (dial, play these clips, stop, record, set/cancel a
timer, hang up, end). `RunState` is updated in place and returned, so a run
costs no copies; the caller must treat it as owned by the interpreter.

Walking the graph is `ringcast.flow.walk`, entering each node type its module
in `ringcast.flow.nodes` (DTMF collection `ringcast.flow.nodes.dtmf`); this module
turns each event into the right move.

Playback contract with the channel: after `StopPlayback` exactly one
`PlaybackDone` answers for the stopped playback (interrupted, or its natural end
if that crossed the stop); a stop while idle emits nothing.

Events that do not fit where the run waits (a late PlaybackDone, a stale
timer, a digit during a plain Play) are ignored, so no event sequence can raise.
Key presses: a digit during a DTMF node's prompt stops the prompt and counts
(prompts always allow barge-in); a digit during a Play with `bargeIn` stops it,
takes onComplete and is kept (type-ahead, up to 16 keys) for the next DTMF
node; a digit in a record node's `finishOnKey` stops the recording; digits at
other times are logged and dropped. DTMF specifics are in `ringcast.flow.nodes.dtmf`.

`digits_wanted(state)` says whether a digit arriving now could change the run
(exactly the cases above that do not drop it); the runner passes it to the
channel (`Channel.listen_for_digits`) so costly detection (in-band tones) runs
only then. A digit dropped at other times only ever left a log line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from ringcast.flow.compiled import CompiledFlow
from ringcast.flow.context import RunContext
from ringcast.flow.events import (
    Action,
    CallAnswered,
    CalleeHungUp,
    CallFailed,
    DigitPressed,
    FlowEvent,
    ForwardAnswered,
    ForwardEnded,
    ForwardFailed,
    Hangup,
    NodeStalled,
    PlaybackFailed,
    PlaybackFinished,
    RecordingFinished,
    SetTimer,
    StopRecording,
    TimerFired,
)
from ringcast.flow.nodes import dtmf, forward
from ringcast.flow.nodes.base import DTMF_KEYS
from ringcast.flow.nodes.dial import DialNode
from ringcast.flow.nodes.play import PlayNode
from ringcast.flow.nodes.record import RecordNode
from ringcast.flow.state import FlowIndex, RunState
from ringcast.flow.trace import CallRecord, FlowTrace
from ringcast.flow.walk import CALL_LIMIT_TIMER, Step

DIGIT_BUFFER_LIMIT: Final = 16
_DIAL_ROUTES: Final = {
    "no_answer": "onNoAnswer",
    "busy": "onBusy",
    "rejected": "onRejected",
    "failed": "onError",
}


def start(flow: CompiledFlow, ctx: RunContext, at: datetime) -> tuple[RunState, list[Action]]:
    """Begin a run at the start node."""
    trace = FlowTrace(
        flow_started_at=at,
        flow_id=ctx.flow_id,
        flow_name=ctx.flow_name,
        flow_version=ctx.flow_version,
        call=CallRecord(direction=ctx.direction),
    )
    state = RunState(flow=flow, ctx=ctx, trace=trace, variables=dict(ctx.variables))
    run = Step(state, at)
    run.out.append(SetTimer(CALL_LIMIT_TIMER, max_call_ms(flow, ctx)))
    run.log("flow_started", {"startNodeId": flow.start_node_id, "direction": ctx.direction})
    run.enter_and_follow(flow.start_node_id)
    return state, run.out


def step(state: RunState, event: FlowEvent, at: datetime) -> tuple[RunState, list[Action]]:
    """Apply one event that happened at `at`; returns the state and what to do."""
    if state.finished:
        return state, []
    run = Step(state, at)
    handler = _HANDLERS.get(type(event))
    if handler is not None:
        handler(run, event)
    return state, run.out


def digits_wanted(state: RunState) -> bool:
    """Could a key pressed now change the run? The cases where `_on_digit` keeps it."""
    if state.finished or state.call_status != "answered":
        return False
    return state.waiting == "dtmf" or _barge_in_playing(state) or bool(_finish_keys(state))


def _barge_in_playing(state: RunState) -> bool:
    """A Play with `bargeIn` is playing: a key stops it and is typed ahead."""
    if state.waiting != "play" or not state.playing or state.node_id is None:
        return False
    node = state.flow.nodes[state.node_id]
    return isinstance(node, PlayNode) and node.config.bargeIn


def _finish_keys(state: RunState) -> str | None:
    """The keys that end the recording in progress, if any."""
    if state.waiting != "record" or state.node_id is None:
        return None
    node = state.flow.nodes[state.node_id]
    return node.config.finishOnKey if isinstance(node, RecordNode) else None


# ---- events ------------------------------------------------------------------------


def _on_answered(run: Step, event: CallAnswered) -> None:
    st = run.st
    if st.waiting not in ("dial", "answer"):
        return
    st.move_call("answered")
    st.answered_by = event.answered_by
    st.trace.call.answered_at = run.at
    st.trace.call.answered_by = event.answered_by
    run.log(
        "call_answered",
        {
            "answeredBy": event.answered_by,
            "amdReason": event.amd_reason,
            "amdDecisionMs": event.amd_decision_ms,
            "amdGreetingMs": event.amd_greeting_ms,
        },
    )
    node = run.node()
    if not isinstance(node, DialNode):
        run.follow("onSuccess")
        return
    if not node.config.enableAMD or event.answered_by == "human":
        output = "onAnswer"
    elif event.answered_by == "machine":
        output = "onVoicemail"
    else:
        output = node.config.amd.unknownRoute
    if output == "onVoicemail":
        st.voicemail = True
    elif output == "onError":
        st.last_error = "amd_unknown"
    run.follow(output)


def _on_failed(run: Step, event: CallFailed) -> None:
    st = run.st
    if st.waiting not in ("dial", "answer"):
        return
    st.move_call("failed")
    st.dial_failure = event.outcome
    reason = event.reason or (f"sip_{event.sip_status}" if event.sip_status else event.outcome)
    st.last_error = st.dial_reason = reason
    run.log(
        "dial_failed",
        {"outcome": event.outcome, "sipStatus": event.sip_status, "reason": event.reason},
    )
    dial = isinstance(run.node(), DialNode)
    run.follow(_DIAL_ROUTES[event.outcome] if dial else "onError")


def _on_playback_done(run: Step, event: PlaybackFinished) -> None:
    st = run.st
    # Events are ordered, so the one done that answers a stop (interrupted, or a
    # natural end that crossed the stop) comes before any later playback's done.
    if st.stop_pending:
        st.stop_pending -= 1
        return
    if event.interrupted or not st.playing:
        return  # not a playback we are waiting for
    st.playing = False
    if st.waiting == "play":
        run.log("playback_completed")
        run.follow("onComplete")
    elif st.waiting == "dtmf":
        dtmf.prompt_done(run)


def _on_playback_failed(run: Step, event: PlaybackFailed) -> None:
    st = run.st
    if not st.playing or st.waiting not in ("play", "dtmf"):
        return
    st.playing = False
    run.follow(run.error("playback_failed", reason=event.reason))


def _on_digit(run: Step, event: DigitPressed) -> None:
    st = run.st
    digit = event.digit
    if len(digit) != 1 or digit not in DTMF_KEYS or st.call_status != "answered":
        return
    if st.waiting == "dtmf":
        run.log("dtmf_received", {"digit": digit})
        dtmf.digit(run, digit)
        return
    if _barge_in_playing(st):
        run.log("dtmf_received", {"digit": digit, "bargeIn": True})
        if len(st.digit_buffer) < DIGIT_BUFFER_LIMIT:
            st.digit_buffer.append(digit)
        run.follow("onComplete")
        return
    keys = _finish_keys(st)
    if keys and digit in keys:
        run.log("dtmf_received", {"digit": digit, "finishKey": True})
        run.out.append(StopRecording())
        return
    run.log("dtmf_received", {"digit": digit, "ignored": True})


def _on_timer(run: Step, event: TimerFired) -> None:
    st = run.st
    if event.timer_id == CALL_LIMIT_TIMER:
        run.log("max_duration", {"maxCallMs": max_call_ms(st.flow, st.ctx)})
        run.finish(outcome="failed", reason="max_duration")
        return
    if event.timer_id != st.active_timer:
        return
    st.active_timer = None
    if st.waiting == "dial":
        # The channel never said how the dial ended: give up on it.
        st.move_call("failed")
        st.dial_failure, st.dial_reason = "failed", "dial_timeout"
        run.out.append(Hangup("dial_timeout"))
        run.follow(run.error("dial_timeout"))
    elif st.waiting == "dtmf":
        dtmf.timeout(run)
    elif st.waiting == "record":
        run.out.append(StopRecording())
        run.follow(run.error("recording_timeout"))
    elif st.waiting == "forward":
        forward.timeout(run)


def _on_recording(run: Step, event: RecordingFinished) -> None:
    st = run.st
    if st.waiting != "record":
        return
    node = run.node()
    assert isinstance(node, RecordNode)
    run.cancel_timer()
    if event.reason == "error" or event.recording_id is None:
        run.follow(run.error("recording_failed"))
        return
    if node.config.variable:
        st.variables[node.config.variable] = event.recording_id
    run.log(
        "recording_completed",
        {
            "recordingId": event.recording_id,
            "durationMs": event.duration_ms,
            "reason": event.reason,
        },
    )
    if event.reason == "hangup":
        run.finish(reason="callee_hangup", callee=True)
    else:
        run.follow("onTimeout" if event.reason == "max_duration" else "onComplete")


def _on_stalled(run: Step, event: NodeStalled) -> None:
    st = run.st
    run.log(
        "node_stalled",
        {
            "nodeId": event.node_id,
            "waitedMs": event.waited_ms,
            "waiting": st.waiting,
            "playing": st.playing,
            "stopPending": st.stop_pending,
        },
    )
    run.finish(outcome="failed", reason="node_stalled")


def max_call_ms(flow: FlowIndex, ctx: RunContext) -> int:
    """The whole call's bound: the flow's `maxCallDurationSec` when set, else the context's."""
    limit = flow.max_call_duration_sec
    return ctx.max_call_ms if limit is None else limit * 1000


def _on_hangup(run: Step, event: CalleeHungUp) -> None:
    run.log("callee_hangup", {"reason": event.reason})
    if run.st.call_status == "ringing":
        run.finish(outcome="failed", reason="hangup_before_answer", callee=True)
    else:
        run.finish(reason="callee_hangup", callee=True)


_HANDLERS: dict[type, Callable[[Step, Any], None]] = {
    CallAnswered: _on_answered,
    CallFailed: _on_failed,
    PlaybackFinished: _on_playback_done,
    PlaybackFailed: _on_playback_failed,
    DigitPressed: _on_digit,
    TimerFired: _on_timer,
    RecordingFinished: _on_recording,
    CalleeHungUp: _on_hangup,
    ForwardAnswered: forward.on_answered,
    ForwardFailed: forward.on_failed,
    ForwardEnded: forward.on_ended,
    NodeStalled: _on_stalled,
}
