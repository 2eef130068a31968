"""The runner tells an observer each node a run enters (the dialer's live view of
calls in flight), and a trace says how each DTMF node ended (key tallies)."""

from __future__ import annotations

import pytest

from flow.flow_helpers import T0
from ringcast.flow.compiled import compile_flow
from ringcast.flow.context import RunContext
from ringcast.flow.examples import PAYMENT_REMINDER_CONTACT, payment_reminder_graph
from ringcast.flow.simulate import run_simulation
from ringcast.flow.trace import PathEntry
from ringcast.telephony.simulated import CalleeScript


def _ctx() -> RunContext:
    return RunContext(call_id="obs-1", contact=PAYMENT_REMINDER_CONTACT)


@pytest.mark.parametrize(
    ("digits", "keys"),
    [
        (("1",), "1"),
        (("2",), "2"),
        (("9", "1"), "1"),
        ((), "timeout"),
        (("9",), "timeout"),
        (("9",) * 5, "invalid"),
    ],
)
async def test_observer_hears_every_node_entered_and_the_menu_result(digits, keys):
    heard: list[PathEntry] = []
    script = CalleeScript(answer="human", ring_ms=0, amd_ms=0, speech_ms=0, digits=digits)
    trace = await run_simulation(
        compile_flow(payment_reminder_graph()), _ctx(), script, start_at=T0, on_node=heard.append
    )
    assert [e.node_id for e in heard] == [e.node_id for e in trace.execution_path]
    assert heard[0].node_id == "dial-1" and heard[0].at == T0
    assert trace.key_results() == {"menu": keys}


async def test_a_menu_left_without_a_key_is_none():
    # hung up during the balance prompt: the menu never ran, no tally at all
    script = CalleeScript(answer="human", ring_ms=0, amd_ms=0, speech_ms=0, hangup_after_ms=500)
    trace = await run_simulation(
        compile_flow(payment_reminder_graph()), _ctx(), script, start_at=T0
    )
    assert trace.key_results() == {}
