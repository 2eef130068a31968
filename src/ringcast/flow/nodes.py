"""Entering each node type: start its work, or complete at once with an output.

Each `enter_*` gets the current `Step` and the node and returns the output to
follow now (`onTrue`, `onError`...), or None when it has started something and
the run waits for an event (dial, answer, play, dtmf, record) or has ended
(hangup). Nodes that need a live call (play, dtmf, record) take `onError` with
`not_connected` when there is none; a dial on a call that is already up, or an
answer on an outbound call, takes `onError` too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from ringcast.flow import dtmf
from ringcast.flow.conditions import ConditionError, evaluate
from ringcast.flow.context import MISSING
from ringcast.flow.events import Answer, Dial, StartRecording
from ringcast.flow.graph import (
    AnswerNode,
    ConditionNode,
    DialNode,
    HangupNode,
    PlayNode,
    RecordNode,
    SetVariableNode,
)
from ringcast.telephony.channel import AmdSettings, DialRequest, RecordRequest

if TYPE_CHECKING:
    from ringcast.flow.walk import Step

RECORD_GRACE_MS: Final = 10_000
"""A record node fails (onError) if the channel says nothing this long after maxDuration."""
DIAL_GRACE_MS: Final = 10_000
"""A dial fails (`dial_timeout`, onError) if the channel reports nothing this long
after the ring timeout plus the AMD analysis (and beep wait) could take."""


def _enter_dial(run: Step, node: DialNode) -> str | None:
    st = run.st
    if st.ctx.direction != "outbound" or st.call_status != "idle":
        return run.error("dial_not_possible", callStatus=st.public_status)
    to = st.ctx.callee_number
    if to is None:
        return run.error("no_phone_number")
    cfg = node.config
    amd = cfg.amd
    request = DialRequest(
        to=to,
        from_=st.ctx.from_number,
        timeout_ms=cfg.timeout,
        enable_amd=cfg.enableAMD,
        amd=AmdSettings(
            initial_silence_ms=amd.initialSilence,
            greeting_ms=amd.greeting,
            greeting_span_ms=amd.greetingSpan,
            after_greeting_silence_ms=amd.afterGreetingSilence,
            total_analysis_ms=amd.totalAnalysisTime,
            min_word_length_ms=amd.minWordLength,
            between_words_silence_ms=amd.betweenWordsSilence,
            maximum_words=amd.maximumWords,
            silence_threshold=amd.silenceThreshold,
        ),
        wait_for_beep=cfg.waitForBeep,
    )
    st.move_call("dial")
    st.waiting = "dial"
    st.trace.call.dialed_at = run.at
    run.out.append(Dial(request))
    analysis_ms = amd.totalAnalysisTime if cfg.enableAMD else 0
    beep_ms = request.wait_for_beep_cap_ms if cfg.waitForBeep else 0
    run.arm(cfg.timeout + analysis_ms + beep_ms + DIAL_GRACE_MS)
    run.log("dial_started", {"to": to, "from": st.ctx.from_number, "timeoutMs": cfg.timeout})
    return None


def _enter_answer(run: Step, node: AnswerNode) -> str | None:
    st = run.st
    if st.call_status == "answered" and st.ctx.direction == "inbound":
        return "onSuccess"
    if st.ctx.direction != "inbound" or st.call_status != "idle":
        return run.error("answer_not_possible", callStatus=st.public_status)
    st.move_call("answer")
    st.waiting = "answer"
    run.out.append(Answer())
    return None


def _enter_play(run: Step, node: PlayNode) -> str | None:
    if run.st.call_status != "answered":
        return run.error("not_connected")
    clips = run.clips(node.config.audioItems)
    if clips is None:
        return "onError"
    if not clips:
        return "onComplete"
    run.st.waiting = "play"
    run.play(clips, node.config.bargeIn)
    return None


def _enter_record(run: Step, node: RecordNode) -> str | None:
    if run.st.call_status != "answered":
        return run.error("not_connected")
    cfg = node.config
    run.st.waiting = "record"
    run.out.append(
        StartRecording(
            RecordRequest(
                max_duration_ms=cfg.maxDuration,
                silence_timeout_ms=cfg.silenceTimeout,
                beep=cfg.beep,
                finish_on_key=cfg.finishOnKey,
            )
        )
    )
    run.arm(cfg.maxDuration + RECORD_GRACE_MS)
    run.log("recording_started", {"maxDurationMs": cfg.maxDuration})
    return None


def _enter_condition(run: Step, node: ConditionNode) -> str | None:
    try:
        result = evaluate(node.config, run.read)
    except ConditionError as exc:
        run.st.last_error = exc.code
        run.log("condition_evaluated", {"error": exc.code, "message": str(exc)})
        return "onError"
    run.log("condition_evaluated", {"result": result})
    return "onTrue" if result else "onFalse"


def _enter_set_variable(run: Step, node: SetVariableNode) -> str | None:
    value = run.read(node.config.value)
    if value is MISSING:
        return run.error("value_missing", variable=node.config.variable)
    run.st.variables[node.config.variable] = value
    run.log("variable_set", {"variable": node.config.variable, "value": value})
    return "onSuccess"


def _enter_hangup(run: Step, node: HangupNode) -> str | None:
    cfg = node.config
    run.log("hangup", {"reason": cfg.reason, "hangupType": cfg.hangupType})
    run.finish(reason=cfg.reason, hangup=cfg.hangupType)
    return None


ENTER: dict[str, Callable[[Step, Any], str | None]] = {
    "dial": _enter_dial,
    "answer": _enter_answer,
    "play": _enter_play,
    "dtmf": dtmf.enter,
    "record": _enter_record,
    "condition": _enter_condition,
    "set_variable": _enter_set_variable,
    "hangup": _enter_hangup,
}
