"""Hypothesis: random valid graphs and random events never raise and always end."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from flow.flow_helpers import CONTACT, T0
from ringcast.flow import interpreter
from ringcast.flow.compiled import CompiledFlow
from ringcast.flow.context import RunContext
from ringcast.flow.events import (
    CallAnswered,
    CalleeHungUp,
    CallFailed,
    DigitPressed,
    End,
    FlowEvent,
    ForwardAnswered,
    ForwardEnded,
    ForwardFailed,
    PlaybackFailed,
    PlaybackFinished,
    RecordingFinished,
    TimerFired,
)
from ringcast.flow.graph import OUTPUTS
from ringcast.flow.simulate import run_simulation
from ringcast.flow.validation import validate_graph
from ringcast.flow.walk import CALL_LIMIT_TIMER
from ringcast.telephony.simulated import CalleeScript

KEYS = list("0123456789*#")
BUDGET = 40

values = st.one_of(
    st.builds(lambda v: {"source": "literal", "value": v}, st.one_of(st.integers(-5, 5), st.sampled_from(["abc", "2026-01-01", "3", ""]), st.none(), st.booleans())),
    st.builds(lambda n: {"source": "customAttribute", "attributeName": n}, st.sampled_from(["balance", "dueDate", "nope"])),
    st.builds(lambda n: {"source": "flowVariable", "name": n}, st.sampled_from(["a", "b"])),
    st.builds(lambda n: {"source": "contactField", "field": n}, st.sampled_from(["city", "zip", "channels"])),
    st.builds(lambda n: {"source": "systemVariable", "name": n}, st.sampled_from(["sys.answeredBy", "sys.programId", "sys.callStatus"])),
)  # fmt: skip
items = st.lists(
    st.one_of(
        st.just({"type": "audioFile", "audioId": "a1"}),
        st.builds(lambda v: {"type": "number", "value": v}, values),
        st.builds(lambda v: {"type": "date", "value": v}, values),
        st.just({"type": "word", "word": "dirhams"}),
    ),
    max_size=2,
)
comparison = st.builds(
    lambda left, op, right: {"left": left, "operator": op, "right": right},
    values,
    st.sampled_from(["eq", "neq", "gt", "lt", "gte", "lte", "contains", "startsWith", "endsWith"]),
    values,
)
condition = st.one_of(
    comparison,
    st.builds(lambda logic, cs: {"logic": logic, "conditions": cs}, st.sampled_from(["and", "or"]), st.lists(comparison, min_size=1, max_size=3)),
)  # fmt: skip


@st.composite
def configs(draw: st.DrawFn, type_: str) -> dict[str, Any]:
    if type_ == "dial":
        return {
            "enableAMD": draw(st.booleans()),
            "amd": {"unknownRoute": draw(st.sampled_from(["onAnswer", "onVoicemail", "onError"]))},
        }
    if type_ == "play":
        return {"audioItems": draw(items), "bargeIn": draw(st.booleans())}
    if type_ == "dtmf":
        allowed = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=4))
        return {
            "mode": draw(st.sampled_from(["single_digit", "multi_digit"])),
            "variable": "k",
            "timeout": draw(st.integers(1, 5000)),
            "singleDigitConfig": {"allowedDigits": allowed},
            "multiDigitConfig": {
                "minDigits": draw(st.integers(1, 2)),
                "maxDigits": draw(st.integers(2, 4)),
                "terminator": draw(st.sampled_from(["#", None])),
            },
            "retry": {"maxRetries": draw(st.integers(0, 2))},
            "prompt": draw(items),
            "invalidPrompt": draw(items),
        }
    if type_ == "record":
        return {
            "maxDuration": draw(st.integers(1, 20000)),
            "silenceTimeout": draw(st.integers(0, 3000)),
            "finishOnKey": draw(st.sampled_from(["#", None])),
        }
    if type_ == "condition":
        picked: dict[str, Any] = draw(condition)
        return picked
    if type_ == "set_variable":
        return {"variable": draw(st.sampled_from(["a", "b"])), "value": draw(values)}
    if type_ == "hangup":
        return {"reason": "done"}
    if type_ == "forward":
        targets = ["+33100000001", ["+33100000001", "sip:a@b.example"], "{{a}}"]
        return {"to": draw(st.sampled_from(targets)), "ringTimeoutSec": 5, "maxDurationSec": 10}
    return {}


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 7))
    types = [draw(st.sampled_from(list(OUTPUTS))) for _ in range(count)]
    if draw(st.integers(0, 9)) < 6:
        types[0] = "dial"  # most real flows start by dialing
    ids = [f"n{i}" for i in range(count)]
    nodes: list[dict[str, Any]] = []
    for i, type_ in enumerate(types):
        outputs: dict[str, Any] = {}
        names = list(OUTPUTS[type_]) + ([] if type_ == "hangup" else ["default"])
        for name in names:
            if draw(st.booleans()):
                outputs[name] = draw(st.sampled_from(ids))
        # keep every node reachable: the previous node leads here
        if i > 0 and types[i - 1] != "hangup":
            prev = nodes[i - 1]["outputs"]
            prev[OUTPUTS[types[i - 1]][0]] = ids[i]
        config = draw(configs(type_))
        if type_ == "dtmf" and draw(st.booleans()):
            allowed = config["singleDigitConfig"]["allowedDigits"] or KEYS
            if config["mode"] == "single_digit":
                outputs["branches"] = {draw(st.sampled_from(allowed)): draw(st.sampled_from(ids))}
        nodes.append({"id": ids[i], "type": type_, "config": config, "outputs": outputs})
    return {"startNodeId": "n0", "nodes": nodes}


events = st.lists(
    st.one_of(
        st.builds(CallAnswered, st.sampled_from(["human", "machine", "unknown"])),
        st.builds(CallFailed, st.sampled_from(["no_answer", "busy", "rejected", "failed"])),
        st.builds(PlaybackFinished, st.booleans()),
        st.builds(PlaybackFailed, st.just("x")),
        st.builds(DigitPressed, st.sampled_from([*KEYS, "A", ""])),
        st.builds(TimerFired, st.sampled_from(["t1", "t2", "t3", "t4", "ACTIVE"])),
        st.builds(RecordingFinished, st.sampled_from(["r1", None]), st.integers(0, 9000), st.sampled_from(["max_duration", "silence", "finish_key", "hangup", "stopped", "error"])),
        st.just(CalleeHungUp()),
        st.builds(ForwardAnswered, st.just("+33100000001")),
        st.builds(ForwardFailed, st.sampled_from(["no_answer", "busy", "rejected", "failed"])),
        st.just(ForwardEnded()),
    ),
    max_size=40,
)  # fmt: skip


def valid(g: dict[str, Any]) -> CompiledFlow:
    result = validate_graph(g)
    assume(result.graph is not None)
    assert result.graph is not None
    return CompiledFlow.of(result.graph)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(graphs(), events, st.sampled_from(["outbound", "inbound"]))
def test_random_events_never_raise_and_runs_end(
    g: dict[str, Any], evs: list[FlowEvent], direction: str
) -> None:
    flow = valid(g)
    ctx = RunContext(call_id="p", contact=CONTACT, direction=direction, node_budget=BUDGET)  # type: ignore[arg-type]
    state, actions = interpreter.start(flow, ctx, T0)
    ends = [a for a in actions if isinstance(a, End)]
    for ev in evs:
        if isinstance(ev, TimerFired) and ev.timer_id == "ACTIVE":
            ev = TimerFired(state.active_timer or "none")
        state, actions = interpreter.step(state, ev, T0)
        ends += [a for a in actions if isinstance(a, End)]
    assert len(state.trace.execution_path) <= BUDGET
    # Whatever it waits for, the call limit ends it.
    state, actions = interpreter.step(state, TimerFired(CALL_LIMIT_TIMER), T0)
    ends += [a for a in actions if isinstance(a, End)]
    assert state.finished
    event(f"outcome={state.trace.outcome}/{state.trace.outcome_reason}")
    assert len(ends) == 1
    assert state.trace.outcome in (
        "completed",
        "voicemail",
        "no_answer",
        "busy",
        "rejected",
        "failed",
    )
    assert state.trace.to_dict()["flowCompletedAt"] is not None


scripts = st.builds(
    CalleeScript,
    answer=st.sampled_from(["human", "machine", "no_answer", "busy", "rejected", "error"]),
    digits=st.lists(st.text(alphabet="0123456789*#", max_size=4), max_size=4).map(tuple),
    speech_ms=st.integers(0, 20000),
    hangup_after_ms=st.one_of(st.none(), st.integers(0, 60000)),
    type_during_prompt=st.booleans(),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(graphs(), scripts)
async def test_simulated_calls_always_end_within_the_budget(
    g: dict[str, Any], script: CalleeScript
) -> None:
    flow = valid(g)
    ctx = RunContext(call_id="p", contact=CONTACT, node_budget=BUDGET)
    trace = await run_simulation(flow, ctx, script, start_at=T0)
    assert trace.outcome is not None
    event(f"outcome={trace.outcome}/{trace.outcome_reason}")
    assert sum(trace.node_execution_count.values()) <= BUDGET
    assert trace.flow_completed_at is not None
    assert trace.flow_completed_at >= trace.flow_started_at
    stamps = [p.at for p in trace.execution_path]
    assert stamps == sorted(stamps)
