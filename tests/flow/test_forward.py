"""The Forward node: model and validation, the pure interpreter, simulate mode."""

from __future__ import annotations

from typing import Any

from flow.flow_helpers import CONTACT, T0, Harness, compiled, graph, node
from ringcast.audio.requests import PlayFile
from ringcast.flow import RunContext, silence_resolver, simulate, validate_graph
from ringcast.flow.events import (
    CallAnswered,
    CalleeHungUp,
    Forward,
    ForwardAnswered,
    ForwardEnded,
    ForwardFailed,
    Hangup,
    StopForward,
)
from ringcast.flow.graph import OUTPUTS
from ringcast.flow.runner import FlowRunner
from ringcast.flow.timebase import VirtualTimebase
from ringcast.telephony.simulated import CalleeScript, SimulatedChannel, VirtualClock

AGENT, BACKUP = "+33100000001", "sip:agent2@10.0.0.2"


def forward_graph(**config: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {"to": [AGENT, BACKUP], "ringTimeoutSec": 20, **config}
    outputs = {"onCompleted": "done", "onNoAnswer": "nobody", "onBusy": "busy", "onFailed": "oops"}
    return graph(
        node("dial", "dial", {"onAnswer": "fwd"}, enableAMD=False),
        node("fwd", "forward", outputs, **cfg),
        node("done", "hangup", reason="forwarded"),
        node("nobody", "hangup", reason="agent_no_answer"),
        node("busy", "hangup", reason="agent_busy"),
        node("oops", "hangup", reason="forward_failed"),
    )


def test_outputs_and_defaults() -> None:
    assert OUTPUTS["forward"] == ("onCompleted", "onNoAnswer", "onBusy", "onFailed")
    fwd = compiled(forward_graph(to=AGENT)).nodes["fwd"]
    assert fwd.model_dump()["config"] == {
        "to": [AGENT],
        "callerId": "did",
        "ringTimeoutSec": 20,
        "maxDurationSec": 3600,
        "record": True,
        "holdAudioId": None,
        "whisperAudioId": None,
        "trunkId": None,
    }


def test_validation_paths_and_audio_references() -> None:
    bad = forward_graph(
        to=["123", "{{agent}}"], callerId="me", ringTimeoutSec=4, maxDurationSec=9000
    )
    issues = {(e.path, e.code) for e in validate_graph(bad).errors}
    assert issues == {
        ("graph.nodes[1].config.to[0]", "value_error"),
        ("graph.nodes[1].config.callerId", "value_error"),
        ("graph.nodes[1].config.ringTimeoutSec", "greater_than_equal"),
        ("graph.nodes[1].config.maxDurationSec", "less_than_equal"),
    }
    empty = validate_graph(forward_graph(to=[])).errors
    assert [(e.path, e.code) for e in empty] == [("graph.nodes[1].config.to", "too_short")]
    ok = validate_graph(forward_graph(holdAudioId="hold", whisperAudioId="brief"))
    assert ok.audio_refs == {
        "hold": ["graph.nodes[1].config.holdAudioId"],
        "brief": ["graph.nodes[1].config.whisperAudioId"],
    }
    unwired = graph(node("dial", "dial", {"onAnswer": "fwd"}), node("fwd", "forward", to=AGENT))
    warned = {w.path for w in validate_graph(unwired).warnings}
    assert "graph.nodes[1].outputs.onBusy" in warned


def answered(**config: Any) -> Harness:
    run = Harness(forward_graph(**config), from_number="+212500000000")
    run.send(CallAnswered("human"), after_ms=1000)
    return run


def test_hunts_in_order_then_bridges_until_the_agent_hangs_up() -> None:
    run = answered(holdAudioId="hold", whisperAudioId="brief", callerId="callee")
    first = run.of(Forward)[0]
    assert (first.to, first.from_, first.ring_timeout_ms, first.record) == (
        AGENT,
        CONTACT["primaryPhone"],
        20000,
        True,
    )
    assert (first.hold, first.whisper) == ((PlayFile("hold"),), (PlayFile("brief"),))
    run.send(ForwardFailed("busy", 486, "486 Busy Here"), after_ms=300)
    assert [f.to for f in run.of(Forward)] == [AGENT, BACKUP]
    run.send(ForwardAnswered(BACKUP, "trunk-1"), after_ms=4000)
    run.send(ForwardEnded("agent_hangup"), after_ms=60000)
    assert run.path[-2:] == [("fwd", "onCompleted"), ("done", None)]
    assert run.outcome == ("completed", "forwarded")
    legs = [leg.to_dict() for leg in run.state.trace.legs]
    assert [(g["to"], g["outcome"], g["reason"], g["durationMs"]) for g in legs] == [
        (AGENT, "busy", "486 Busy Here", None),
        (BACKUP, "completed", "agent_hangup", 60000),
    ]
    assert legs[1]["trunk"] == "trunk-1"
    assert [t for t in run.event_types if t.startswith("forward_")] == [
        "forward_started",
        "forward_ended",
        "forward_started",
        "forward_answered",
        "forward_ended",
    ]
    assert run.of(StopForward) == []


def test_the_last_targets_outcome_picks_the_output() -> None:
    run = answered()
    run.send(ForwardFailed("failed", 503), after_ms=100)
    run.send(ForwardFailed("no_answer", None, "ring_timeout"), after_ms=20000)
    assert run.path[-2:] == [("fwd", "onNoAnswer"), ("nobody", None)]
    run = answered(to=AGENT)
    run.send(ForwardFailed("busy", 486), after_ms=300)
    assert run.path[-1] == ("busy", None)
    run = answered(to=AGENT)
    run.send(ForwardFailed("rejected", 603), after_ms=300)
    assert run.path[-1] == ("oops", None)
    assert run.state.trace.legs[0].reason == "sip_603"


def test_a_leg_that_never_reports_counts_as_unanswered() -> None:
    run = answered(to=AGENT)
    run.fire()  # ring timeout + grace
    assert run.of(StopForward) == [StopForward("ring_timeout")]
    assert run.path[-1] == ("nobody", None)


def test_the_maximum_duration_ends_the_bridge() -> None:
    run = answered(to=AGENT, maxDurationSec=10)
    run.send(ForwardAnswered(AGENT), after_ms=2000)
    run.fire()
    assert run.of(StopForward) == [StopForward("max_duration")]
    assert run.path[-1] == ("done", None)
    assert run.state.trace.legs[0].to_dict()["durationMs"] == 10000


def test_the_callee_hanging_up_releases_the_agent_leg() -> None:
    run = answered(to=AGENT)
    run.send(CalleeHungUp("bye"), after_ms=2000)  # the agent still rings
    assert run.of(StopForward) == [StopForward("callee_hangup")]
    assert run.of(Hangup) == []
    leg = run.state.trace.legs[0]
    assert (leg.outcome, leg.reason) == ("cancelled", "callee_hangup")
    assert run.outcome == ("completed", "callee_hangup")
    run = answered(to=AGENT)
    run.send(ForwardAnswered(AGENT), after_ms=2000)
    run.send(CalleeHungUp("bye"), after_ms=5000)
    leg = run.state.trace.legs[0]
    assert (leg.outcome, leg.to_dict()["durationMs"]) == ("completed", 5000)
    # a late event from the released leg changes nothing
    run.send(ForwardEnded(), after_ms=10)
    assert len(run.state.trace.legs) == 1


def test_targets_from_variables_and_unusable_ones() -> None:
    run = Harness(forward_graph(to=["{{agent}}", "{{nobody}}"]), variables={"agent": AGENT})
    run.send(CallAnswered("human"), after_ms=1000)
    assert [f.to for f in run.of(Forward)] == [AGENT]
    assert "forward_target_invalid" in run.event_types
    run = Harness(forward_graph(to="{{nobody}}"))
    run.send(CallAnswered("human"), after_ms=1000)
    assert run.path[-2:] == [("fwd", "onFailed"), ("oops", None)]
    assert run.state.last_error == "no_forward_target"


async def test_simulate_mode_walks_the_node_with_scripted_legs() -> None:
    trace = await simulate(
        forward_graph(),
        CONTACT,
        {"answer": "human", "forward": ["no_answer", "answer"], "forwardTalkMs": 45000},
    )
    assert trace["outcomeReason"] == "forwarded"
    assert [(g["to"], g["outcome"]) for g in trace["legs"]] == [
        (AGENT, "no_answer"),
        (BACKUP, "completed"),
    ]
    assert trace["legs"][1]["durationMs"] == 45000
    busy = await simulate(forward_graph(to=AGENT), CONTACT, {"forward": ["busy"]})
    assert busy["outcomeReason"] == "agent_busy"


async def test_simulated_callee_hanging_up_while_the_agent_rings_cancels_it() -> None:
    clock = VirtualClock(T0)
    script = CalleeScript(hangup_after_ms=5000, forward=("answer",), forward_ring_ms=20000)
    channel = SimulatedChannel(script, clock)
    ctx = RunContext(call_id="f", contact=CONTACT)
    trace = await FlowRunner(silence_resolver).run(
        compiled(forward_graph(to=AGENT)), ctx, channel, VirtualTimebase(clock)
    )
    assert [c for _, c in channel.commands] == [
        "dial",
        f"forward {AGENT}",
        "stop_forward callee_hangup",
    ]
    assert trace.legs[0].outcome == "cancelled"
    assert channel.forwards[0].hold is None  # no holdAudioId: the channel's ringback


async def test_a_channel_that_cannot_forward_takes_on_failed() -> None:
    class Plain(SimulatedChannel):
        forward = None  # type: ignore[assignment]

    clock = VirtualClock(T0)
    channel = Plain(CalleeScript(), clock)
    trace = await FlowRunner(silence_resolver).run(
        compiled(forward_graph(to=AGENT)), RunContext(call_id="p", contact=CONTACT), channel,
        VirtualTimebase(clock),
    )  # fmt: skip
    assert trace.outcome_reason == "forward_failed"
    assert trace.legs[0].reason == "forward_not_supported"


async def test_a_key_due_after_the_bridge_timer_is_judged_after_the_timer() -> None:
    # The bridge's max-duration timer (13 000 ms) turns listening on (a barge-in
    # play follows); an in-band key at 13 001 ms must be heard, as a signalled one is.
    g = graph(
        node("n0", "answer", {"onSuccess": "n1"}),
        node("n1", "play", {"onComplete": "n2"}, audioItems=[{"type": "audioFile", "audioId": "a"}],
             bargeIn=True),
        node("n2", "forward", {"onCompleted": "n3"}, to=AGENT, ringTimeoutSec=5, maxDurationSec=10),
        node("n3", "record", {"onComplete": "n0"}, maxDuration=1, silenceTimeout=0, finishOnKey="#"),
    )  # fmt: skip
    traces = []
    for inband in (False, True):
        clock = VirtualClock(T0)
        script = CalleeScript(keys_at_ms=((0, "0"), (13001, "0")), inband=inband)
        channel = SimulatedChannel(script, clock)
        ctx = RunContext(call_id="k", contact=CONTACT, direction="inbound", node_budget=40)
        trace = await FlowRunner(silence_resolver).run(
            compiled(g), ctx, channel, VirtualTimebase(clock)
        )
        traces.append(trace.to_dict()["call"]["terminatedAt"])
        assert channel.unheard == []
    assert traces[0] == traces[1]
