"""The runner tells the channel when keys can matter (`Channel.listen_for_digits`).

In-band keys are heard only then (the SIP driver runs its tone detector only
then); the scripted callee with `inband=True` drops keys due while the flow
does not listen, as that driver would. The property: gating changes nothing
but the log lines of keys the flow ignored anyway.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flow.flow_helpers import CONTACT, T0, audio, compiled, graph, node
from flow.test_properties import graphs, scripts, valid
from ringcast.flow import interpreter
from ringcast.flow.compiled import CompiledFlow
from ringcast.flow.context import RunContext
from ringcast.flow.runner import FlowRunner
from ringcast.flow.simulate import silence_resolver
from ringcast.flow.timebase import VirtualTimebase
from ringcast.flow.trace import FlowTrace
from ringcast.telephony.simulated import CalleeScript, SimulatedChannel, VirtualClock

# dial (AMD 1500 ms: the flow sees the answer at 3500) → a 2 s notice without
# barge-in → a menu (2 s prompt) → a 2 s barge-in offer → a PIN (no prompt) → a
# voice message ended by # → goodbye.
IVR = graph(
    node("dial", "dial", {"onAnswer": "notice"}),
    node("notice", "play", {"onComplete": "menu"}, audioItems=[audio()]),
    node("menu", "dtmf", {"onSuccess": "offer", "onTimeout": "offer"}, prompt=[audio()], timeout=3000),
    node("offer", "play", {"onComplete": "pin"}, audioItems=[audio()], bargeIn=True),
    node("pin", "dtmf", {"onSuccess": "message", "default": "message"}, variable="pin", mode="multi_digit", timeout=3000,
         multiDigitConfig={"minDigits": 2, "maxDigits": 4, "terminator": "#"}),
    node("message", "record", {"onComplete": "bye", "onTimeout": "bye"}, maxDuration=5000, finishOnKey="#", beep=False),
    node("bye", "hangup"),
)  # fmt: skip


async def run(
    flow: CompiledFlow, script: CalleeScript, direction: str = "outbound"
) -> tuple[FlowTrace, SimulatedChannel]:
    clock = VirtualClock(T0)
    channel = SimulatedChannel(script, clock)
    ctx = RunContext(call_id="g", contact=CONTACT, direction=direction, node_budget=40)  # type: ignore[arg-type]
    trace = await FlowRunner(silence_resolver).run(flow, ctx, channel, VirtualTimebase(clock))
    return trace, channel


def windows(channel: SimulatedChannel) -> list[tuple[int, bool]]:
    return channel.listen_changes


def at_ms(trace: FlowTrace, when: datetime) -> int:
    return int((when - trace.flow_started_at).total_seconds() * 1000)


async def test_listens_during_dtmf_nodes_barge_in_plays_and_finish_key_recordings() -> None:
    trace, channel = await run(compiled(IVR), CalleeScript(digits=("1", "42#"), inband=True))
    assert trace.final_variables == {"pin": "42"}
    starts = {p.node_id: at_ms(trace, p.at) for p in trace.execution_path}
    assert starts == {"dial": 0, "notice": 3500, "menu": 5500, "offer": 8100, "pin": 10100,
                      "message": 11200, "bye": 16200}  # fmt: skip
    # Off from the start (dialling, AMD, the notice); on at the menu, through the
    # barge-in offer, the PIN and the recording (its finish key); off at the end.
    assert windows(channel) == [(0, False), (5500, True), (16200, False)]


async def test_a_plain_play_between_listeners_turns_listening_off() -> None:
    flow = compiled(
        graph(
            node("dial", "dial", {"onAnswer": "menu"}, enableAMD=False),
            node("menu", "dtmf", {"onSuccess": "notice"}, prompt=[audio()]),
            node("notice", "play", {"onComplete": "again"}, audioItems=[audio()]),
            node("again", "dtmf", {"onSuccess": "bye"}, variable="k", prompt=[]),
            node("bye", "hangup"),
        )
    )
    trace, channel = await run(flow, CalleeScript(digits=("1", "2"), inband=True))
    assert trace.final_variables == {"k": "2"}
    # answer at 2000, menu prompt 2 s + 600 ms to key, notice 2 s, key 600 ms later
    assert windows(channel) == [(0, False), (2000, True), (4600, False), (6600, True),
                                (7200, False)]  # fmt: skip


async def test_a_tone_during_a_plain_play_is_not_heard_one_during_the_menu_is() -> None:
    # The notice plays 3500-5500, the menu prompt 5500-7500 then waits 3 s.
    heard_both = CalleeScript(keys_at_ms=((1000, "5"), (3000, "9")))
    gated = dataclasses.replace(heard_both, inband=True)
    signalled, _ = await run(compiled(IVR), heard_both)
    tones, channel = await run(compiled(IVR), gated)
    assert ignored_keys(signalled) == ["5"]  # a signalled key is reported, then ignored
    assert channel.unheard == [(4500, "5")]  # a tone then is not even detected
    for trace in (signalled, tones):
        collected = [e.data["value"] for e in trace.event_log if e.type == "dtmf_collected"]
        assert collected[0] == "9"  # the key during the menu prompt counts
    assert without_ignored_keys(signalled) == without_ignored_keys(tones)


async def test_type_ahead_during_a_barge_in_play_reaches_the_next_menu() -> None:
    # The offer (barge-in) plays 8100-10100: keys 4 and 2 then, # after it.
    script = CalleeScript(digits=("1",), keys_at_ms=((5000, "4"), (6000, "2"), (6100, "#")),
                          inband=True)  # fmt: skip
    trace, channel = await run(compiled(IVR), script)
    assert trace.final_variables["pin"] == "42"
    assert channel.unheard == []


def ignored_keys(trace: FlowTrace) -> list[str]:
    return [e.data["digit"] for e in trace.event_log if e.data.get("ignored")]


def without_ignored_keys(trace: FlowTrace) -> dict[str, Any]:
    out = trace.to_dict()
    out["events"] = [e for e in out["events"] if not e["data"].get("ignored")]
    return out


keys_at = st.lists(
    st.tuples(st.integers(0, 30000), st.sampled_from("0123456789*#")), max_size=8
).map(tuple)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(graphs(), scripts, keys_at, st.sampled_from(["outbound", "inbound"]))
async def test_gating_changes_nothing_but_the_log_of_ignored_keys(
    g: dict[str, Any], script: CalleeScript, keys: tuple[tuple[int, str], ...], direction: str
) -> None:
    flow = valid(g)
    signalled = dataclasses.replace(script, keys_at_ms=keys)
    always, _ = await run(flow, signalled, direction)
    gated, channel = await run(flow, dataclasses.replace(signalled, inband=True), direction)
    assert without_ignored_keys(gated) == without_ignored_keys(always)
    # Keys still heard and ignored: only a wrong key during a finish-key recording.
    assert Counter(ignored_keys(gated)) <= Counter(ignored_keys(always))
    assert len(channel.unheard) >= len(ignored_keys(always)) - len(ignored_keys(gated))


def test_digits_wanted_follows_the_node_the_run_waits_in() -> None:
    flow = compiled(IVR)
    state, _ = interpreter.start(flow, RunContext(call_id="w", contact=CONTACT), T0)
    assert state.waiting == "dial" and not interpreter.digits_wanted(state)
    state.call_status, state.node_id = "answered", "notice"
    state.waiting, state.playing = "play", True
    assert not interpreter.digits_wanted(state)  # no barge-in
    state.node_id = "offer"
    assert interpreter.digits_wanted(state)
    state.playing = False  # its playback already ended
    assert not interpreter.digits_wanted(state)
    state.node_id, state.waiting = "menu", "dtmf"
    assert interpreter.digits_wanted(state)
    state.node_id, state.waiting = "message", "record"
    assert interpreter.digits_wanted(state)
    state.call_status = "ended"
    assert not interpreter.digits_wanted(state)
