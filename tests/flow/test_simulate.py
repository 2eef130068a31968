"""Simulate mode end to end: runner + SimulatedChannel + virtual time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pytest

from flow.flow_helpers import CONTACT, T0, audio, graph, node
from ringcast.audio.requests import ClipRequest
from ringcast.flow import FlowValidationError, simulate
from ringcast.flow.context import RunContext
from ringcast.flow.examples import PAYMENT_REMINDER_CONTACT, payment_reminder_graph
from ringcast.telephony.channel import Pcm

DIALED = ("dial-1", "onAnswer"), ("play-balance", "onComplete")


async def remind(script: dict[str, Any]) -> dict[str, Any]:
    return await simulate(
        payment_reminder_graph(), PAYMENT_REMINDER_CONTACT, script, start_at=T0, call_id="sim-1"
    )


def path(trace: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(p["nodeId"], p["outputPath"]) for p in trace["executionPath"]]


@pytest.mark.parametrize(
    ("digits", "expected", "choice"),
    [
        (["1"], [*DIALED, ("menu", "branches.1"), ("play-confirm", "onComplete")], "1"),
        (["2"], [*DIALED, ("menu", "branches.2"), ("play-callback", "onComplete")], "2"),
        (["9", "1"], [*DIALED, ("menu", "branches.1"), ("play-confirm", "onComplete")], "1"),
        (["9"], [*DIALED, ("menu", "onMaxRetries")], None),
        ([], [*DIALED, ("menu", "onMaxRetries")], None),
    ],
)
async def test_payment_reminder_human(
    digits: list[str], expected: list[tuple[str, str | None]], choice: str | None
) -> None:
    trace = await remind({"answer": "human", "digits": digits})
    assert path(trace) == [*expected, ("hangup-done", None)]
    assert trace["outcome"] == "completed"
    assert trace["finalVariables"].get("choice") == choice
    json.dumps(trace)  # serialisable as is


async def test_payment_reminder_wrong_key_then_silence_counts_three_failures() -> None:
    trace = await remind({"answer": "human", "digits": ["9"]})
    kinds = [e["type"] for e in trace["events"] if e["type"] in ("dtmf_invalid", "dtmf_timeout")]
    assert kinds == ["dtmf_invalid", "dtmf_timeout", "dtmf_timeout"]
    assert trace["nodeExecutionCount"] == {
        "dial-1": 1,
        "play-balance": 1,
        "menu": 1,
        "hangup-done": 1,
    }


@pytest.mark.parametrize(
    ("answer", "expected", "outcome", "reason"),
    [
        ("machine", [("dial-1", "onVoicemail"), ("play-voicemail", "onComplete"), ("hangup-done", None)], "voicemail", "completed"),
        ("no_answer", [("dial-1", "onNoAnswer"), ("hangup-unreached", None)], "no_answer", "ring_timeout"),
        ("busy", [("dial-1", "onBusy"), ("hangup-unreached", None)], "busy", "486 Busy Here"),
        ("rejected", [("dial-1", "onRejected"), ("hangup-unreached", None)], "rejected", "603 Decline"),
        ("error", [("dial-1", "onError"), ("hangup-unreached", None)], "failed", "503 Service Unavailable"),
    ],
)  # fmt: skip
async def test_payment_reminder_dial_outcomes(
    answer: str, expected: list[tuple[str, str | None]], outcome: str, reason: str
) -> None:
    trace = await remind({"answer": answer})
    assert path(trace) == expected
    assert (trace["outcome"], trace["outcomeReason"]) == (outcome, reason)


async def test_virtual_time_follows_the_script_and_clip_lengths() -> None:
    trace = await remind({"answer": "human", "digits": ["1"], "ringMs": 4000})
    # ring 4000 + AMD 1500; balance 2000+350*4+500 ms; menu prompt 2000; key after 600; thanks 2000
    assert trace["call"]["answeredAt"] == "2026-11-27T09:00:05.500Z"
    assert trace["executionPath"][2]["timestamp"] == "2026-11-27T09:00:09.400Z"
    assert trace["flowCompletedAt"] == "2026-11-27T09:00:14.000Z"
    assert trace["call"]["durationMs"] == 8500
    assert trace["flowStartedAt"] == "2026-11-27T09:00:00.000Z"


async def test_no_answer_waits_the_dial_timeout() -> None:
    trace = await remind({"answer": "no_answer"})
    assert trace["flowCompletedAt"] == "2026-11-27T09:00:30.000Z"


async def test_callee_hangs_up_mid_flow() -> None:
    trace = await remind({"answer": "human", "hangupAfterMs": 1000})
    assert path(trace) == [DIALED[0], ("play-balance", None)]
    assert (trace["outcome"], trace["outcomeReason"]) == ("completed", "callee_hangup")
    assert "callee_hangup" in [e["type"] for e in trace["events"]]


async def test_typing_during_the_prompt_barges_in() -> None:
    trace = await remind({"answer": "human", "digits": ["2"], "typeDuringPrompt": True})
    assert path(trace)[2] == ("menu", "branches.2")
    menu_at = datetime.fromisoformat(trace["executionPath"][2]["timestamp"])
    confirm_at = datetime.fromisoformat(trace["executionPath"][3]["timestamp"])
    assert (confirm_at - menu_at).total_seconds() == pytest.approx(0.6)  # not after the 2 s prompt


RECORD = graph(
    node("d", "dial", {"onAnswer": "r"}),
    node("r", "record", {"onComplete": "ok", "onTimeout": "long"}, variable="msg", maxDuration=10000, silenceTimeout=2000),
    node("ok", "hangup"),
    node("long", "hangup"),
)  # fmt: skip


@pytest.mark.parametrize(("speech_ms", "end"), [(3000, "ok"), (9000, "long")])
async def test_record_in_simulation(speech_ms: int, end: str) -> None:
    trace = await simulate(RECORD, CONTACT, {"speechMs": speech_ms}, start_at=T0, call_id="c")
    assert path(trace)[-1] == (end, None)
    assert trace["finalVariables"]["msg"] == "rec-c-1"


async def test_record_cut_by_hangup_keeps_the_recording() -> None:
    trace = await simulate(RECORD, CONTACT, {"hangupAfterMs": 2500}, start_at=T0, call_id="c")
    assert trace["finalVariables"]["msg"] == "rec-c-1"
    done = next(e for e in trace["events"] if e["type"] == "recording_completed")
    assert done["data"]["reason"] == "hangup"
    assert trace["outcomeReason"] == "callee_hangup"


async def test_inbound_flow_starts_at_answer() -> None:
    g = graph(
        node("a", "answer", {"onSuccess": "p"}),
        node("p", "play", {"onComplete": "h"}, audioItems=[audio()]),
        node("h", "hangup"),
    )
    trace = await simulate(g, CONTACT, None, direction="inbound", start_at=T0)
    assert path(trace) == [("a", "onSuccess"), ("p", "onComplete"), ("h", None)]
    assert trace["call"]["direction"] == "inbound"


async def test_resolver_failure_takes_on_error_and_real_lengths_are_used() -> None:
    calls: list[Sequence[ClipRequest]] = []

    async def resolver(clips: Sequence[ClipRequest], ctx: RunContext) -> Sequence[Pcm]:
        calls.append(clips)
        if len(calls) > 1:
            raise LookupError("audio a2 is gone")
        return [np.zeros(8 * 750, dtype=np.int16)]

    g = graph(
        node("d", "dial", {"onAnswer": "p1"}, enableAMD=False),
        node("p1", "play", {"onComplete": "p2"}, audioItems=[audio("a1")]),
        node("p2", "play", {"onError": "h"}, audioItems=[audio("a2")]),
        node("h", "hangup"),
    )
    trace = await simulate(g, CONTACT, {}, resolver, start_at=T0)
    assert path(trace) == [("d", "onAnswer"), ("p1", "onComplete"), ("p2", "onError"), ("h", None)]
    failed = next(e for e in trace["events"] if e["type"] == "node_error")
    assert failed["data"]["reason"] == "LookupError: audio a2 is gone"
    assert trace["executionPath"][2]["timestamp"] == "2026-11-27T09:00:02.750Z"
    assert trace["call"]["answeredBy"] == "unknown"  # AMD off


async def test_invalid_graph_and_script_raise_with_field_errors() -> None:
    with pytest.raises(FlowValidationError) as graph_error:
        await simulate(graph(node("x", "teleport")), CONTACT, {})
    assert graph_error.value.result.field_errors().keys() == {"graph.nodes[0].type"}
    with pytest.raises(FlowValidationError) as script_error:
        await simulate(payment_reminder_graph(), CONTACT, {"answer": "maybe", "digits": ["x"]})
    assert set(script_error.value.result.field_errors()) == {"simulate.answer", "simulate.digits"}


PIN = graph(
    node("d", "dial", {"onAnswer": "pin"}),
    node("pin", "dtmf", {"onSuccess": "check", "onMaxRetries": "bye"}, mode="multi_digit", variable="pin", multiDigitConfig={"minDigits": 4, "maxDigits": 6}, prompt=[audio("enter-pin")], retry={"maxRetries": 1}),
    node("check", "condition", {"onTrue": "ok", "onFalse": "bye"}, left={"source": "flowVariable", "name": "pin"}, operator="eq", right={"source": "literal", "value": 1234}),
    node("ok", "hangup", reason="verified"),
    node("bye", "hangup", reason="rejected"),
)  # fmt: skip


@pytest.mark.parametrize(
    ("digits", "reason", "pin"),
    [
        (["1234#"], "verified", "1234"),
        (["12#", "1234"], "verified", "1234"),  # too short, then ended by the inter-digit timeout
        (["99999#"], "rejected", "99999"),
        (["1#", ""], "rejected", None),
    ],
)
async def test_multi_digit_pin_then_typed_condition(
    digits: list[str], reason: str, pin: str | None
) -> None:
    trace = await simulate(PIN, CONTACT, {"digits": digits}, start_at=T0)
    assert trace["outcomeReason"] == reason
    assert trace["finalVariables"].get("pin") == pin
