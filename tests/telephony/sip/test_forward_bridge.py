"""The Forward node over real SIP on loopback: our dialer side (FlowRunner on a
ForwardingSipChannel) calls a callee, then bridges an agent on a second leg. The
far ends are SipChannels on their own user agent: each plays a tone and keeps
what it hears, so the tones are checked crossing both ways through the bridge."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from ringcast.flow import FlowRunner, RealTimebase, RunContext, compile_flow
from ringcast.flow.simulate import silence_resolver
from ringcast.telephony.channel import Pcm, RemoteHangup
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.sip.call import SipCall
from ringcast.telephony.sip.channel import MediaStream, SipChannel, rtp_media
from ringcast.telephony.sip.config import TrunkConfig
from ringcast.telephony.sip.forward import ForwardingSipChannel
from ringcast.telephony.sip.ua import UserAgent

CALLEE, AGENT, BUSY, SILENT = "+212600000001", "+212600000009", "+212600000008", "+212600000007"


def tone(hz: float, ms: int) -> Pcm:
    t = np.arange(ms * 8) / 8000
    return (8000 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def strength(pcm: Pcm, hz: float) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(pcm.size, 1 / 8000)
    return float(spectrum[np.abs(freqs - hz) < 30].sum()) / (float(spectrum.sum()) or 1.0)


@dataclass
class FarEnd:
    """How one number behaves, and what happened to it."""

    hz: float = 0
    hangup_after_s: float | None = None
    refuse: int | None = None
    answer: bool = True
    heard: list[Pcm] = field(default_factory=list)
    answered: bool = False
    cancelled: bool = False


class Phones:
    """A user agent answering every number by its `FarEnd` script."""

    def __init__(self, clock: MediaClock) -> None:
        self.clock = clock
        self.ends: dict[str, FarEnd] = {}
        self.ua: UserAgent | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        config = TrunkConfig(host="127.0.0.1", allowed_peers=frozenset({"127.0.0.1"}))
        self.ua = await UserAgent.start(config)
        self.ua.on_invite = self._on_invite

    def _on_invite(self, call: SipCall) -> None:
        task = asyncio.get_running_loop().create_task(self._run(call))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, call: SipCall) -> None:
        assert self.ua is not None
        end = self.ends["+" + (call.dialed_user or "").lstrip("+")]
        if end.refuse:
            call.reject(end.refuse, "Busy Here")
            return
        streams: list[MediaStream] = []
        opener = rtp_media(self.clock)

        async def open_media() -> MediaStream:
            streams.append(await opener())
            return streams[-1]

        channel = SipChannel.inbound(self.ua, call, open_media, inband_dtmf=False)
        call.ring()
        if not end.answer:
            event = await channel.next_event()
            end.cancelled = isinstance(event, RemoteHangup)
            return
        await asyncio.sleep(0.2)
        await channel.answer()
        end.answered = True
        stream = streams[0]
        stream.add_listener(end.heard.append)
        stream.play([tone(end.hz, 8000)])
        try:
            if end.hangup_after_s is None:
                await channel.next_event()
                while True:
                    if isinstance(await channel.next_event(), RemoteHangup):
                        return
            await asyncio.sleep(end.hangup_after_s)
            await channel.hangup()
        finally:
            stream.remove_listener(end.heard.append)

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.ua is not None:
            self.ua.hangup_all()
            self.ua.close()


@pytest.fixture
async def phones() -> AsyncIterator[Phones]:
    clock = MediaClock()
    phones = Phones(clock)
    await phones.start()
    yield phones
    await phones.stop()
    clock.close()


def flow(to: str, **config: Any) -> dict[str, Any]:
    outputs = {"onCompleted": "done", "onNoAnswer": "nobody", "onBusy": "busy", "onFailed": "oops"}
    return {
        "startNodeId": "dial",
        "nodes": [
            {"id": "dial", "type": "dial", "config": {"enableAMD": False, "timeout": 5000},
             "outputs": {"onAnswer": "fwd"}},
            {"id": "fwd", "type": "forward", "outputs": outputs,
             "config": {"to": to, "ringTimeoutSec": 5, **config}},
            {"id": "done", "type": "hangup", "config": {"reason": "forwarded"}},
            {"id": "nobody", "type": "hangup", "config": {"reason": "agent_no_answer"}},
            {"id": "busy", "type": "hangup", "config": {"reason": "agent_busy"}},
            {"id": "oops", "type": "hangup", "config": {"reason": "forward_failed"}},
        ],
    }  # fmt: skip


async def place(
    phones: Phones, g: dict[str, Any], **channel_kw: Any
) -> tuple[dict[str, Any], ForwardingSipChannel]:
    assert phones.ua is not None and phones.ua.transport is not None
    host, port = phones.ua.transport.local_host, phones.ua.transport.local_port
    clock = MediaClock()
    ua = await UserAgent.start(TrunkConfig(host=host, port=port))
    try:
        channel = ForwardingSipChannel(ua, rtp_media(clock), **channel_kw)
        ctx = RunContext(call_id=channel.call_id, contact={"primaryPhone": CALLEE},
                         from_number="+212500000000")  # fmt: skip
        runner = FlowRunner(silence_resolver)
        trace = await asyncio.wait_for(
            runner.run(compile_flow(g), ctx, channel, RealTimebase()), 20
        )
        return trace.to_dict(), channel
    finally:
        await asyncio.sleep(0.3)
        ua.close()
        clock.close()


def last_second(frames: Sequence[Pcm]) -> Pcm:
    return np.concatenate(frames[-50:]) if frames else np.zeros(0, np.int16)


async def test_tones_cross_both_ways_and_the_agent_hanging_up_completes(phones: Phones) -> None:
    phones.ends[CALLEE] = FarEnd(hz=1000)
    phones.ends[AGENT] = FarEnd(hz=600, hangup_after_s=2.0)
    trace, channel = await place(phones, flow(AGENT))
    assert trace["outcomeReason"] == "forwarded", trace["events"]
    leg = trace["legs"][0]
    assert (leg["to"], leg["outcome"], leg["reason"]) == (AGENT, "completed", "agent_hangup")
    assert 1500 <= leg["durationMs"] <= 3500
    agent_heard = last_second(phones.ends[AGENT].heard)
    assert strength(agent_heard, 1000) > 0.5, strength(agent_heard, 1000)
    callee_heard = np.concatenate(phones.ends[CALLEE].heard)
    assert strength(callee_heard, 600) > 0.3  # after the ringback (425 Hz) while it rang
    assert strength(callee_heard, 425) > 0.01
    assert len(channel.recordings) == 1
    assert leg["recordingId"] is not None  # stored through the runner's sink
    stereo = channel.recordings[0].pcm()
    assert strength(stereo[:, 0], 1000) > 0.5 and strength(stereo[:, 1], 600) > 0.5


async def test_a_busy_agent_takes_on_busy(phones: Phones) -> None:
    phones.ends[CALLEE] = FarEnd(hz=1000)
    phones.ends[BUSY] = FarEnd(refuse=486)
    trace, _ = await place(phones, flow(BUSY))
    assert trace["outcomeReason"] == "agent_busy"
    assert trace["legs"][0]["outcome"] == "busy"


async def test_an_agent_that_does_not_answer_takes_on_no_answer(phones: Phones) -> None:
    phones.ends[CALLEE] = FarEnd(hz=1000)
    phones.ends[SILENT] = FarEnd(answer=False)
    trace, _ = await place(phones, flow(SILENT))
    assert trace["outcomeReason"] == "agent_no_answer"
    assert trace["legs"][0]["outcome"] == "no_answer"
    await asyncio.sleep(0.3)
    assert phones.ends[SILENT].cancelled  # the ring timeout CANCELled it


async def test_the_callee_hanging_up_while_the_agent_rings_cancels_it(phones: Phones) -> None:
    phones.ends[CALLEE] = FarEnd(hz=1000, hangup_after_s=1.5)
    phones.ends[SILENT] = FarEnd(answer=False)
    trace, _ = await place(phones, flow(SILENT))
    assert trace["outcomeReason"] == "callee_hangup"
    assert trace["legs"][0]["outcome"] == "cancelled"
    await asyncio.sleep(0.3)
    assert phones.ends[SILENT].cancelled
