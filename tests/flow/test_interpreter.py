"""The pure interpreter, driven by hand: every node type's every output."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from flow.flow_helpers import CONTACT, Harness, audio, graph, lit, node
from ringcast.audio.requests import PlayFile, SayDate, SayNumber, SayWord
from ringcast.flow.events import (
    Answer,
    CallAnswered,
    CalleeHungUp,
    CallFailed,
    Dial,
    DigitPressed,
    End,
    FlowEvent,
    Hangup,
    Play,
    PlaybackFailed,
    PlaybackFinished,
    RecordingFinished,
    SetTimer,
    StartRecording,
    StopRecording,
    TimerFired,
)
from ringcast.flow.walk import CALL_LIMIT_TIMER
from ringcast.telephony.channel import AmdSettings

H = node("h", "hangup")


def dial_graph(**config: object) -> dict[str, Any]:
    outputs = {
        name: name
        for name in ("onAnswer", "onVoicemail", "onNoAnswer", "onBusy", "onRejected", "onError")
    }
    nodes = [node(name, "hangup", reason=name) for name in outputs]
    return graph(node("d", "dial", outputs, **config), *nodes)


# ---- dial ----------------------------------------------------------------------------


def test_dial_emits_a_dial_request_from_the_config() -> None:
    run = Harness(
        dial_graph(timeout=12000, enableAMD=True, waitForBeep=True, amd={"greeting": 900}),
        from_number="+33100000000",
    )
    (dial,) = run.of(Dial)
    assert dial.request.to == CONTACT["primaryPhone"]
    assert dial.request.from_ == "+33100000000"
    assert dial.request.timeout_ms == 12000
    assert dial.request.wait_for_beep is True
    assert dial.request.amd.greeting_ms == 900
    assert run.state.trace.call.dialed_at == run.now()


def test_dial_without_amd_config_runs_the_shipped_detector_defaults() -> None:
    (dial,) = Harness(dial_graph()).of(Dial)
    assert dial.request.amd == AmdSettings()


def test_every_amd_setting_reaches_the_detector() -> None:
    amd = {
        "initialSilence": 1,
        "greeting": 2,
        "greetingSpan": 3,
        "afterGreetingSilence": 4,
        "totalAnalysisTime": 5,
        "minWordLength": 6,
        "betweenWordsSilence": 7,
        "maximumWords": 8,
        "silenceThreshold": 9,
    }
    (dial,) = Harness(dial_graph(amd=amd)).of(Dial)
    assert dial.request.amd == AmdSettings(1, 2, 3, 4, 5, 6, 7, 8, 9)


@pytest.mark.parametrize(
    ("event", "output", "outcome", "reason"),
    [
        (CallAnswered("human"), "onAnswer", "completed", "onAnswer"),
        (CallAnswered("machine"), "onVoicemail", "voicemail", "onVoicemail"),
        (CallFailed("no_answer", None, "ring_timeout"), "onNoAnswer", "no_answer", "ring_timeout"),
        (CallFailed("busy", 486, "486 Busy Here"), "onBusy", "busy", "486 Busy Here"),
        (CallFailed("rejected", 603), "onRejected", "rejected", "sip_603"),
        (CallFailed("failed", 404, "404 Not Found"), "onError", "failed", "404 Not Found"),
    ],
)
def test_dial_outcomes_route_to_their_output(
    event: FlowEvent, output: str, outcome: str, reason: str
) -> None:
    run = Harness(dial_graph())
    run.send(event, after_ms=4000)
    assert run.path == [("d", output), (output, None)]
    assert run.outcome == (outcome, reason)


@pytest.mark.parametrize(
    ("route", "expected"), [("onAnswer", "onAnswer"), ("onVoicemail", "onVoicemail")]
)
def test_amd_unknown_takes_the_configured_route(route: str, expected: str) -> None:
    run = Harness(dial_graph(amd={"unknownRoute": route}))
    run.send(CallAnswered("unknown"))
    assert run.path[0] == ("d", expected)


def test_amd_disabled_always_takes_on_answer() -> None:
    run = Harness(dial_graph(enableAMD=False))
    run.send(CallAnswered("machine"))
    assert run.path[0] == ("d", "onAnswer")
    assert run.outcome[0] == "completed"


def test_a_second_dial_on_a_live_call_is_an_error() -> None:
    g = graph(
        node("d", "dial", {"onAnswer": "d2"}),
        node("d2", "dial", {"onError": "h"}),
        H,
    )
    run = Harness(g)
    run.send(CallAnswered("human"))
    assert run.path == [("d", "onAnswer"), ("d2", "onError"), ("h", None)]
    assert len(run.of(Dial)) == 1


def test_a_dial_the_channel_never_resolves_times_out() -> None:
    run = Harness(dial_graph(timeout=20000, amd={"totalAnalysisTime": 4000}))
    actions = run.fire()
    assert run.ms == 20000 + 4000 + 10000
    assert Hangup("dial_timeout") in actions
    assert run.path[0] == ("d", "onError")
    assert run.outcome == ("failed", "dial_timeout")
    assert run.send(CallAnswered("human")) == []  # too late


def test_dial_without_a_phone_number_is_an_error() -> None:
    run = Harness(dial_graph(), contact={"firstName": "x"})
    assert run.path[0] == ("d", "onError")
    assert run.of(Dial) == []


# ---- answer --------------------------------------------------------------------------


def test_answer_node_on_inbound_call() -> None:
    g = graph(node("a", "answer", {"onSuccess": "h", "onError": "h"}), H)
    run = Harness(g, direction="inbound")
    assert run.of(Answer) == [Answer()]
    run.send(CallAnswered("unknown"))
    assert run.path == [("a", "onSuccess"), ("h", None)]
    assert run.outcome == ("completed", "completed")


def test_answer_node_error_paths() -> None:
    g = graph(node("a", "answer", {"onSuccess": "h", "onError": "h"}), H)
    inbound = Harness(g, direction="inbound")
    inbound.send(CallFailed("failed", 500))
    assert inbound.path[0] == ("a", "onError")
    outbound = Harness(g)  # an outbound call cannot be "answered" by us
    assert outbound.path[0] == ("a", "onError")
    assert outbound.of(Answer) == []


# ---- play ----------------------------------------------------------------------------


def answered(*nodes: dict[str, Any], **ctx: Any) -> Harness:
    run = Harness(graph(node("d", "dial", {"onAnswer": nodes[0]["id"]}), *nodes), **ctx)
    run.send(CallAnswered("human"), after_ms=3000)
    return run


def test_play_resolves_values_and_completes() -> None:
    items = [
        audio("intro"),
        {"type": "number", "value": {"source": "customAttribute", "attributeName": "balance"}},
        {"type": "number", "value": lit("0612"), "mode": "digits", "language": "ar"},
        {"type": "date", "value": {"source": "customAttribute", "attributeName": "dueDate"}},
        {"type": "word", "word": "dirhams", "dictionaryId": "dict-9"},
    ]
    run = answered(node("p", "play", {"onComplete": "h"}, audioItems=items), H)
    (play,) = run.of(Play)
    assert play.clips == (
        PlayFile("intro"),
        SayNumber("1523", "full", "fr", None),
        SayNumber("0612", "digits", "ar", None),
        SayDate(__import__("datetime").date(2026, 12, 1), "fr", None),
        SayWord("dirhams", "fr", "dict-9"),
    )
    assert run.path[-1] == ("p", None)
    run.send(PlaybackFinished(), after_ms=5000)
    assert run.path[-2:] == [("p", "onComplete"), ("h", None)]


@pytest.mark.parametrize(
    "item",
    [
        {"type": "number", "value": lit("abc")},
        {"type": "number", "value": {"source": "flowVariable", "name": "nope"}},
        {"type": "date", "value": lit("not a date")},
    ],
)
def test_play_with_an_unusable_value_takes_on_error(item: dict[str, Any]) -> None:
    run = answered(node("p", "play", {"onError": "h"}, audioItems=[item]), H)
    assert run.path[-2:] == [("p", "onError"), ("h", None)]
    assert run.of(Play) == []


def test_play_failure_reported_by_the_runner_takes_on_error() -> None:
    run = answered(node("p", "play", {"onError": "h"}, audioItems=[audio()]), H)
    run.send(PlaybackFailed("audio gone"))
    assert run.path[-2:] == [("p", "onError"), ("h", None)]


def test_play_before_any_call_is_an_error() -> None:
    run = Harness(graph(node("p", "play", {"onError": "h"}, audioItems=[audio()]), H))
    assert run.path == [("p", "onError"), ("h", None)]
    assert run.outcome == ("failed", "not_connected")


def test_barge_in_play_stops_on_a_key_and_keeps_it_for_the_menu() -> None:
    menu = node("m", "dtmf", {"branches": {"2": "h"}, "onSuccess": "h"}, variable="k")
    p = node("p", "play", {"onComplete": "m"}, audioItems=[audio()], bargeIn=True)
    run = answered(p, menu, H)
    run.send(DigitPressed("2"), after_ms=500)
    assert run.path[-3:] == [("p", "onComplete"), ("m", "branches.2"), ("h", None)]
    assert run.variables["k"] == "2"


def test_keys_during_a_plain_play_are_dropped() -> None:
    menu = node("m", "dtmf", {"onSuccess": "h"}, variable="k")
    run = answered(node("p", "play", {"onComplete": "m"}, audioItems=[audio()]), menu, H)
    run.send(DigitPressed("5"))
    run.send(PlaybackFinished())
    assert run.path[-1] == ("m", None)
    assert "k" not in run.variables
    assert any(e.data.get("ignored") for e in run.state.trace.event_log)


# ---- record --------------------------------------------------------------------------


def record_run(**config: object) -> Harness:
    outputs = {"onComplete": "h", "onTimeout": "h", "onError": "h"}
    return answered(node("r", "record", outputs, variable="msg", **config), H)


@pytest.mark.parametrize(
    ("reason", "output"),
    [("silence", "onComplete"), ("finish_key", "onComplete"), ("max_duration", "onTimeout")],
)
def test_record_outputs(reason: str, output: str) -> None:
    run = record_run(maxDuration=20000, silenceTimeout=3000, beep=False)
    (start,) = run.of(StartRecording)
    assert (start.request.max_duration_ms, start.request.silence_timeout_ms) == (20000, 3000)
    assert start.request.beep is False
    run.send(RecordingFinished("rec-7", 6000, reason))  # type: ignore[arg-type]
    assert run.path[-2] == ("r", output)
    assert run.variables["msg"] == "rec-7"


def test_record_error_and_silent_channel_take_on_error() -> None:
    failed = record_run()
    failed.send(RecordingFinished(None, 0, "error"))
    assert failed.path[-2] == ("r", "onError")
    silent = record_run(maxDuration=1000)
    silent.fire()  # the channel never reported: give up after maxDuration + grace
    assert silent.path[-2] == ("r", "onError")
    assert StopRecording() in silent.history


def test_record_finish_key_stops_the_recording() -> None:
    run = record_run(finishOnKey="#")
    run.send(DigitPressed("1"))
    assert StopRecording() not in run.history
    run.send(DigitPressed("#"))
    assert StopRecording() in run.history


def test_callee_hangup_while_recording_keeps_the_recording() -> None:
    run = record_run()
    run.send(RecordingFinished("rec-1", 2500, "hangup"))
    run.send(CalleeHungUp())
    assert run.variables["msg"] == "rec-1"
    assert run.outcome == ("completed", "callee_hangup")
    assert run.of(Hangup) == []


# ---- condition & set_variable ----------------------------------------------------------


@pytest.mark.parametrize(
    ("right", "output"),
    [(1000, "onTrue"), (5000, "onFalse"), ("abc", "onError")],
)
def test_condition_outputs(right: object, output: str) -> None:
    cond = {
        "left": {"source": "customAttribute", "attributeName": "balance"},
        "operator": "gt",
        "right": lit(right),
    }
    g = graph(
        node("c", "condition", {"onTrue": "t", "onFalse": "f", "onError": "e"}, **cond),
        node("t", "hangup"),
        node("f", "hangup"),
        node("e", "hangup"),
    )
    run = Harness(g)
    assert run.path[0] == ("c", output)


def test_set_variable_outputs() -> None:
    ok = Harness(
        graph(node("s", "set_variable", {"onSuccess": "h"}, variable="x", value=lit(7)), H)
    )
    assert ok.path[0] == ("s", "onSuccess")
    assert ok.state.trace.final_variables == {"x": 7}
    missing = {"source": "contactField", "field": "occupation"}
    bad = Harness(
        graph(node("s", "set_variable", {"onError": "h"}, variable="x", value=missing), H)
    )
    assert bad.path[0] == ("s", "onError")
    assert "x" not in bad.variables


# ---- hangup, wiring, endings -----------------------------------------------------------


def test_hangup_node_hangs_up_with_its_type_and_reason() -> None:
    g = graph(
        node("d", "dial", {"onAnswer": "h"}), node("h", "hangup", reason="done", hangupType="busy")
    )
    run = Harness(g)
    run.send(CallAnswered("human"), after_ms=2000)
    ended_at = run.now()
    assert run.send(CallAnswered("human"), after_ms=2000) == []  # after the end: ignored
    assert run.of(Hangup) == [Hangup("busy")]
    assert run.of(End) == [End("completed", "done")]
    trace = run.state.trace
    assert trace.call.answered_at == ended_at
    assert trace.flow_completed_at == ended_at


def test_default_output_is_taken_when_the_specific_one_is_unwired() -> None:
    g = graph(
        node("d", "dial", {"onAnswer": "a", "default": "z"}),
        node("a", "hangup"),
        node("z", "hangup"),
    )
    run = Harness(g)
    run.send(CallFailed("busy", 486))
    assert run.path == [("d", "default"), ("z", None)]


def test_unwired_output_ends_the_call_normally() -> None:
    run = answered(node("p", "play", {}, audioItems=[audio()]))
    run.send(PlaybackFinished())
    assert run.path[-1] == ("p", "onComplete")
    assert run.outcome == ("completed", "end_of_flow")
    assert run.of(Hangup) == [Hangup("normal")]
    assert "unwired_output" in run.event_types


def test_unwired_on_error_ends_as_failed_with_the_error() -> None:
    run = answered(node("p", "play", {}, audioItems=[audio()]))
    run.send(PlaybackFailed("boom"))
    assert run.outcome == ("failed", "playback_failed")


def test_callee_hangup_at_any_node_ends_the_run() -> None:
    run = answered(node("p", "play", {"onComplete": "h"}, audioItems=[audio()]), H)
    run.send(CalleeHungUp("bye"), after_ms=1000)
    assert run.outcome == ("completed", "callee_hangup")
    assert run.path[-1] == ("p", None)
    assert run.of(Hangup) == []  # the line is already gone
    assert run.send(PlaybackFinished()) == []


def test_node_budget_stops_a_loop() -> None:
    loop = graph(
        node("a", "set_variable", {"onSuccess": "b"}, variable="x", value=lit(1)),
        node(
            "b",
            "condition",
            {"onTrue": "a", "onFalse": "h"},
            left=lit(1),
            operator="eq",
            right=lit(1),
        ),
        H,
    )
    run = Harness(loop, node_budget=50)
    assert run.outcome == ("failed", "node_budget_exceeded")
    assert sum(run.state.trace.node_execution_count.values()) == 50
    assert run.state.trace.node_execution_count == {"a": 25, "b": 25}
    default = Harness(loop)
    assert default.outcome == ("failed", "node_budget_exceeded")
    assert sum(default.state.trace.node_execution_count.values()) == 500


def test_max_duration_ends_a_run_stuck_waiting() -> None:
    run = Harness(dial_graph(), max_call_ms=60000)
    run.send(TimerFired(CALL_LIMIT_TIMER), after_ms=60000)
    assert run.outcome == ("failed", "max_duration")
    assert run.of(Hangup)  # the ringing call is cancelled


def test_stale_and_unexpected_events_are_ignored() -> None:
    run = Harness(dial_graph())
    for event in (
        PlaybackFinished(),
        DigitPressed("1"),
        TimerFired("t99"),
        RecordingFinished("r", 1, "silence"),
    ):
        assert run.send(event) == []
    assert run.path == [("d", None)]


def test_trace_serialises_to_the_call_report_shape() -> None:
    run = answered(node("p", "play", {"onComplete": "h"}, audioItems=[audio()]), H)
    run.send(PlaybackFinished(), after_ms=2000)
    fe = run.state.trace.flow_execution()
    assert set(fe) == {
        "flowId", "flowName", "flowVersion", "executionPath", "finalVariables",
        "nodeExecutionCount", "flowStartedAt", "flowCompletedAt",
    }  # fmt: skip
    assert fe["executionPath"][1] == {
        "nodeId": "p",
        "nodeType": "play",
        "nodeLabel": None,
        "outputPath": "onComplete",
        "timestamp": "2026-11-27T09:00:03.000Z",
    }
    assert fe["flowCompletedAt"] == "2026-11-27T09:00:05.000Z"
    events = run.state.trace.events()
    assert all(set(e) == {"type", "timestamp", "data"} for e in events)
    played = next(e for e in events if e["type"] == "playback_completed")
    assert played["data"]["nodeContext"] == {"nodeId": "p", "nodeType": "play", "nodeLabel": None}
    assert np.isfinite(run.state.trace.to_dict()["call"]["durationMs"])


def test_a_flow_error_after_a_failed_dial_keeps_the_dial_outcome() -> None:
    g = graph(
        node("d", "dial", {"onNoAnswer": "s"}),
        node("s", "set_variable", {}, variable="x", value={"source": "flowVariable", "name": "no"}),
    )
    run = Harness(g)
    run.send(CallFailed("no_answer", None, "ring_timeout"), after_ms=30000)
    assert run.path == [("d", "onNoAnswer"), ("s", "onError")]
    assert run.outcome == ("no_answer", "ring_timeout")


def test_a_flows_max_call_duration_overrides_the_default() -> None:
    limited = Harness({**dial_graph(), "maxCallDurationSec": 90})
    (limit,) = [a for a in limited.of(SetTimer) if a.timer_id == CALL_LIMIT_TIMER]
    assert limit.delay_ms == 90_000
    default = Harness(dial_graph())
    (limit,) = [a for a in default.of(SetTimer) if a.timer_id == CALL_LIMIT_TIMER]
    assert limit.delay_ms == 3_600_000  # one hour unless the flow says otherwise
