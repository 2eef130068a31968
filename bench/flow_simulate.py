"""Simulated runs of the payment-reminder flow per second, in one process.

    .venv/bin/python bench/flow_simulate.py [--runs 4000]

Measured: complete simulate-mode calls (runner + SimulatedChannel + virtual
timebase + interpreter + trace, serialised to the response dict), cycling through seven callee scripts (human
pressing 1, 2, 9 then 1, silence; machine; busy; no answer), and the
human-pressing-1 script alone. Goal: >= 2,000 runs/s.

Baseline, measured in the same run: the pure interpreter alone replaying the
exact same event sequences (the same `start` + `step` calls with the same
timestamps, no runner, no channel, no asyncio). The ratio says what the
runner/channel/virtual-time layer costs on top of the state machine itself.
Figures are the best of 3 repetitions.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from ringcast.flow import compile_flow, interpreter, run_simulation
from ringcast.flow.context import RunContext
from ringcast.flow.examples import PAYMENT_REMINDER_CONTACT, payment_reminder_graph
from ringcast.telephony.simulated import CalleeScript

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SCRIPTS = [
    CalleeScript(answer="human", digits=("1",)),
    CalleeScript(answer="human", digits=("2",)),
    CalleeScript(answer="human", digits=("9", "1")),
    CalleeScript(answer="human"),
    CalleeScript(answer="machine"),
    CalleeScript(answer="busy"),
    CalleeScript(answer="no_answer"),
]


async def simulated(
    flow: Any, ctx: RunContext, runs: int, scripts: list[CalleeScript] = SCRIPTS
) -> float:
    started = time.perf_counter()
    for i in range(runs):
        trace = await run_simulation(flow, ctx, scripts[i % len(scripts)], start_at=T0)
        trace.to_dict()  # the simulate response is the serialised trace
    return time.perf_counter() - started


async def record_events(flow: Any, ctx: RunContext) -> list[list[tuple[Any, datetime]]]:
    """The (event, time) sequence each script feeds the interpreter."""
    real_step = interpreter.step
    sequences: list[list[tuple[Any, datetime]]] = []

    def recording_step(state: Any, event: Any, at: datetime) -> Any:
        sequences[-1].append((event, at))
        return real_step(state, event, at)

    setattr(interpreter, "step", recording_step)  # noqa: B010 - the runner calls it through the module
    try:
        for script in SCRIPTS:
            sequences.append([])
            await run_simulation(flow, ctx, script, start_at=T0)
    finally:
        setattr(interpreter, "step", real_step)  # noqa: B010
    return sequences


def replay(
    flow: Any, ctx: RunContext, sequences: list[list[tuple[Any, datetime]]], runs: int
) -> float:
    started = time.perf_counter()
    for i in range(runs):
        state, _ = interpreter.start(flow, ctx, T0)
        for event, at in sequences[i % len(sequences)]:
            state, _ = interpreter.step(state, event, at)
        assert state.finished
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=4000)
    runs = parser.parse_args().runs
    flow = compile_flow(payment_reminder_graph())
    ctx = RunContext(call_id="bench", contact=PAYMENT_REMINDER_CONTACT, from_number="+10000000000")
    sequences = asyncio.run(record_events(flow, ctx))
    steps = sum(len(s) + 1 for s in sequences) / len(sequences)
    asyncio.run(simulated(flow, ctx, 200))  # warm-up
    full = min(asyncio.run(simulated(flow, ctx, runs)) for _ in range(3))
    base = min(replay(flow, ctx, sequences, runs) for _ in range(3))
    longest = min(asyncio.run(simulated(flow, ctx, runs, SCRIPTS[:1])) for _ in range(3))
    full_rate, base_rate = runs / full, runs / base
    print(
        f"payment-reminder simulated runs: {full_rate:,.0f} runs/s ({runs} runs, 7 scripts, "
        f"{steps:.1f} interpreter calls/run; goal >= 2,000)"
    )
    print(f"  human pressing 1 only (5 nodes, 3 prompts): {runs / longest:,.0f} runs/s")
    print(f"baseline (pure interpreter replaying the same events): {base_rate:,.0f} runs/s")
    print(
        f"ratio full/baseline time: {base_rate / full_rate:.2f}x "
        f"(runner + simulated channel + virtual time + serialising the trace, over the bare state machine)"
    )


if __name__ == "__main__":
    main()
