"""Timebases: virtual ordering, and the runner on real time with a queue-fed channel."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
import pytest

from flow.flow_helpers import CONTACT, T0, audio, compiled, graph, node
from ringcast.flow import FlowRunner, RealTimebase, RunContext, VirtualTimebase, silence_resolver
from ringcast.flow.events import TimerFired
from ringcast.telephony.channel import (
    Answered,
    ChannelEvent,
    DialRequest,
    DigitReceived,
    Pcm,
    PlaybackDone,
    RecordRequest,
)
from ringcast.telephony.simulated import (
    CalleeScript,
    SimulatedChannel,
    SimulationStalledError,
    VirtualClock,
)


async def test_virtual_timers_interleave_with_channel_events() -> None:
    clock = VirtualClock(T0)
    ch = SimulatedChannel(CalleeScript(), clock)
    tb = VirtualTimebase(clock)
    await ch.play([np.zeros(8 * 1000, dtype=np.int16)])
    tb.set_timer("early", 500)
    tb.set_timer("tie", 1000)
    tb.set_timer("gone", 200)
    tb.cancel_timer("gone")
    tb.set_timer("early", 600)  # re-armed: the first deadline no longer counts
    assert await tb.next_event(ch) == TimerFired("early")
    assert clock.now_ms == 600
    assert await tb.next_event(ch) == PlaybackDone()  # a tie goes to the channel
    assert await tb.next_event(ch) == TimerFired("tie")
    assert tb.now() == clock.now()
    with pytest.raises(SimulationStalledError):
        await tb.next_event(ch)


class QueueChannel:
    """A channel fed by the test through a queue; answers and plays instantly."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[ChannelEvent] = asyncio.Queue()
        self.commands: list[str] = []

    @property
    def call_id(self) -> str:
        return "q"

    async def dial(self, request: DialRequest) -> None:
        self.commands.append("dial")
        self.events.put_nowait(Answered("human"))

    async def answer(self) -> None:
        self.commands.append("answer")

    async def play(self, clips: Sequence[Pcm]) -> None:
        self.commands.append("play")
        self.events.put_nowait(PlaybackDone())

    async def stop_playback(self) -> None:
        self.commands.append("stop")

    async def start_recording(self, request: RecordRequest) -> None:
        self.commands.append("record")

    async def stop_recording(self) -> None:
        self.commands.append("stop_recording")

    async def hangup(self, reason: str = "normal") -> None:
        self.commands.append(f"hangup {reason}")

    async def next_event(self) -> ChannelEvent:
        return await self.events.get()

    def listen_for_digits(self, on: bool) -> None:
        self.commands.append(f"listen {'on' if on else 'off'}")


MENU = graph(
    node("d", "dial", {"onAnswer": "m"}),
    node("m", "dtmf", {"onSuccess": "ok", "onMaxRetries": "max"}, timeout=30, retry={"maxRetries": 1}, prompt=[audio()]),
    node("ok", "hangup", reason="ok"),
    node("max", "hangup", reason="max"),
)  # fmt: skip


async def test_runner_on_real_time_times_out_with_real_timers() -> None:
    ch = QueueChannel()
    loop = asyncio.get_running_loop()
    started = loop.time()
    trace = await FlowRunner(silence_resolver).run(
        compiled(MENU), RunContext(call_id="q", contact=CONTACT), ch, RealTimebase()
    )
    elapsed = loop.time() - started
    assert trace.outcome_reason == "max"
    assert [e.type for e in trace.event_log].count("dtmf_timeout") == 2
    assert elapsed >= 0.06  # two 30 ms timeouts really elapsed
    assert ch.commands == [
        "listen off",
        "dial",
        "listen on",
        "play",
        "play",
        "listen off",
        "hangup normal",
    ]


async def test_runner_on_real_time_takes_a_key_before_the_timer() -> None:
    ch = QueueChannel()

    async def press_soon() -> None:
        while "play" not in ch.commands:
            await asyncio.sleep(0.001)
        ch.events.put_nowait(DigitReceived("7"))

    presser = asyncio.create_task(press_soon())
    trace = await FlowRunner(silence_resolver).run(
        compiled(MENU), RunContext(call_id="q", contact=CONTACT), ch, RealTimebase()
    )
    await presser
    assert trace.outcome_reason == "ok"
    assert trace.final_variables == {}
    assert [p.output_path for p in trace.execution_path][:2] == ["onAnswer", "onSuccess"]


async def test_real_timebase_timer_and_cancel() -> None:
    ch = QueueChannel()
    tb = RealTimebase()
    tb.set_timer("a", 10)
    tb.set_timer("b", 1)
    tb.cancel_timer("b")
    assert await tb.next_event(ch) == TimerFired("a")
    ch.events.put_nowait(PlaybackDone(True))
    assert await tb.next_event(ch) == PlaybackDone(True)
    tb.clear_timers()


class MutePlayChannel(QueueChannel):
    """A channel whose prompts never report their end (the stalled-node case)."""

    async def play(self, clips: Sequence[Pcm]) -> None:
        self.commands.append("play")


NOTICE = graph(
    node("d", "dial", {"onAnswer": "p"}),
    node("p", "play", {"onComplete": "bye"}, audioItems=[audio()]),
    node("bye", "hangup", reason="ok"),
)  # fmt: skip


async def test_watchdog_ends_a_prompt_that_never_reports_node_stalled() -> None:
    ch = MutePlayChannel()
    run = FlowRunner(silence_resolver, stall_margin_ms=40).run(
        compiled(NOTICE), RunContext(call_id="q", contact=CONTACT), ch, RealTimebase()
    )
    trace = await asyncio.wait_for(run, 30)  # without the watchdog: waits forever
    assert (trace.outcome, trace.outcome_reason) == ("failed", "node_stalled")
    stalled = [e for e in trace.event_log if e.type == "node_stalled"]
    assert len(stalled) == 1 and stalled[0].data["nodeId"] == "p"
    assert stalled[0].data["waitedMs"] >= 40
    assert ch.commands[-1] == "hangup normal"  # the call is released, not left open


async def test_watchdog_is_disarmed_once_the_prompt_reports() -> None:
    ch = QueueChannel()  # every prompt reports at once
    trace = await FlowRunner(silence_resolver, stall_margin_ms=1).run(
        compiled(NOTICE), RunContext(call_id="q", contact=CONTACT), ch, RealTimebase()
    )
    await asyncio.sleep(0.05)  # past any deadline a forgotten watchdog would have had
    assert (trace.outcome, trace.outcome_reason) == ("completed", "ok")
    assert "node_stalled" not in [e.type for e in trace.event_log]
