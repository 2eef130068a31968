"""The Forward node against independent SIP peers as the agent (issue 17).

Topology: the callee calls in to our user agent (a SipChannel on its own user agent,
playing a 1 kHz tone and keeping what it hears and the keys it gets); our side runs
an inbound flow on a `ForwardingSipChannel` (answer → forward → hangup) whose trunk is
the agent peer: baresip (auto-answer, its microphone a 600 Hz tone, dumping what it
decodes) or sipp (a scenario per case). Checked: audio crosses both ways (the chirp
reaches the callee and the stereo recording's right channel, the tone reaches baresip
and the left channel), the agent's RFC 4733 keys reach the callee, the callee hanging
up while the agent rings CANCELs it at sipp, the agent hanging up (BYE from sipp)
releases the callee.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from forward.baresip_kit import PhoneFactory, decoded
from ringcast.flow import FlowRunner, MemoryRecordingSink, RealTimebase, RunContext, compile_flow
from ringcast.flow.simulate import silence_resolver
from ringcast.telephony.channel import Answered, DialRequest, DigitReceived, Pcm, RemoteHangup
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.sip.call import SipCall
from ringcast.telephony.sip.channel import MediaStream, SipChannel, rtp_media
from ringcast.telephony.sip.config import TrunkConfig
from ringcast.telephony.sip.forward import ForwardingSipChannel
from ringcast.telephony.sip.ua import UserAgent
from telephony.sip.test_forward_bridge import strength, tone
from telephony.sipp.conftest import SippFactory

AGENT, CALLEE, DID = "+212600000009", "+212600000001", "+212500000000"
AGENT_HZ = 600
RATE = 8000


def inbound_flow(**config: Any) -> dict[str, Any]:
    outputs = {"onCompleted": "done", "onNoAnswer": "nobody", "onBusy": "busy", "onFailed": "oops"}
    return {
        "startNodeId": "pick",
        "nodes": [
            {"id": "pick", "type": "answer", "outputs": {"onSuccess": "fwd"}},
            {"id": "fwd", "type": "forward", "outputs": outputs,
             "config": {"to": AGENT, "ringTimeoutSec": 8, **config}},
            {"id": "done", "type": "hangup", "config": {"reason": "forwarded"}},
            {"id": "nobody", "type": "hangup", "config": {"reason": "agent_no_answer"}},
            {"id": "busy", "type": "hangup", "config": {"reason": "agent_busy"}},
            {"id": "oops", "type": "hangup", "config": {"reason": "forward_failed"}},
        ],
    }  # fmt: skip


@dataclass
class Callee:
    """The caller: dials in, plays a tone, keeps what it hears and the keys it gets."""

    hangup_after_s: float | None = None
    heard: list[Pcm] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    released: bool = False  # we hung it up


@dataclass
class Side:
    """Our side: an inbound flow on a ForwardingSipChannel, its trunk the agent peer."""

    ua: UserAgent
    clock: MediaClock
    graph: dict[str, Any]
    sink: MemoryRecordingSink = field(default_factory=MemoryRecordingSink)
    traces: list[dict[str, Any]] = field(default_factory=list)
    channels: list[ForwardingSipChannel] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def on_invite(self, call: SipCall) -> None:
        task = asyncio.get_running_loop().create_task(self._run(call))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, call: SipCall) -> None:
        channel = ForwardingSipChannel.inbound(self.ua, call, rtp_media(self.clock))
        assert isinstance(channel, ForwardingSipChannel)
        self.channels.append(channel)
        ctx = RunContext(call_id=call.call_id, contact={"primaryPhone": CALLEE},
                         direction="inbound", from_number=DID, to_number=CALLEE)  # fmt: skip
        trace = await FlowRunner(silence_resolver, self.sink).run(
            compile_flow(self.graph), ctx, channel, RealTimebase()
        )
        self.traces.append(trace.to_dict())


@pytest.fixture
async def side_for() -> AsyncIterator[Callable[..., Any]]:
    made: list[Side] = []

    async def make(agent_port: int, graph: dict[str, Any]) -> Side:
        trunk = TrunkConfig(host="127.0.0.1", port=agent_port,
                            allowed_peers=frozenset({"127.0.0.1"}))  # fmt: skip
        side = Side(await UserAgent.start(trunk), MediaClock(), graph)
        side.ua.on_invite = side.on_invite
        made.append(side)
        return side

    yield make
    for side in made:
        for task in list(side.tasks):
            task.cancel()
        await asyncio.gather(*side.tasks, return_exceptions=True)
        side.ua.hangup_all()
        side.ua.close()
        side.clock.close()


async def call_in(side: Side, callee: Callee, hz: float = 1000) -> dict[str, Any]:
    """The callee calls our side and stays until released (or hangs up); our trace."""
    assert side.ua.transport is not None
    host, port = side.ua.transport.local_host, side.ua.transport.local_port
    clock = MediaClock()
    ua = await UserAgent.start(TrunkConfig(host=host, port=port))
    streams: list[MediaStream] = []
    opener = rtp_media(clock)

    async def open_media() -> MediaStream:
        streams.append(await opener())
        return streams[-1]

    try:
        channel = SipChannel(ua, open_media, inband_dtmf=False)
        await channel.dial(DialRequest(to=DID, from_=CALLEE, enable_amd=False, timeout_ms=5000))
        assert isinstance(await asyncio.wait_for(channel.next_event(), 10), Answered)
        streams[0].add_listener(callee.heard.append)
        streams[0].play([tone(hz, 20000)])
        loop = asyncio.get_running_loop()
        until = None if callee.hangup_after_s is None else loop.time() + callee.hangup_after_s
        while True:
            wait = 30.0 if until is None else until - loop.time()
            if wait <= 0:
                await channel.hangup()
                break
            try:
                event = await asyncio.wait_for(channel.next_event(), wait)
            except TimeoutError:
                continue
            if isinstance(event, DigitReceived):
                callee.keys.append(event.digit)
            elif isinstance(event, RemoteHangup):
                callee.released = True
                break
        for _ in range(100):  # our flow's end (it stores the recording first)
            if side.traces:
                return side.traces[-1]
            await asyncio.sleep(0.1)
        raise AssertionError("our flow did not end")
    finally:
        ua.close()
        clock.close()


# ---- baresip as the agent (baresip_kit.py) ---------------------------------------------


@pytest.mark.baresip
async def test_baresip_agent_hears_the_callee_and_is_heard(
    baresip_phones: PhoneFactory, side_for: Callable[..., Any]
) -> None:
    agent = baresip_phones("127.0.0.1", AGENT, tone(AGENT_HZ, 10000))
    side = await side_for(agent.port, inbound_flow(maxDurationSec=10))
    callee = Callee(hangup_after_s=5.0)
    trace = await call_in(side, callee)
    [leg] = trace["legs"]
    assert leg["outcome"] == "completed" and leg["reason"] == "callee_hangup", trace["events"]
    assert leg["hungUpBy"] == "callee" and leg["recordingId"] is not None
    # agent → callee: baresip's 600 Hz (its microphone) reached the callee
    heard = np.concatenate(callee.heard)[-2 * RATE :]
    assert strength(heard, AGENT_HZ) > 0.5, strength(heard, AGENT_HZ)
    assert strength(heard, 1000) < 0.05  # not the callee's own tone coming back
    # callee → agent: what baresip decoded holds the callee's 1 kHz tone
    assert strength(decoded(agent)[-2 * RATE :], 1000) > 0.5
    # the stereo recording: the callee's tone left, the agent's right
    stereo = side.sink.recordings[leg["recordingId"]]
    assert stereo.ndim == 2 and stereo.shape[1] == 2
    assert strength(stereo[RATE:, 0], 1000) > 0.5
    assert strength(stereo[RATE:, 1], AGENT_HZ) > 0.5
    assert strength(stereo[RATE:, 0], AGENT_HZ) < 0.05 and strength(stereo[RATE:, 1], 1000) < 0.05


# ---- sipp as the agent ----------------------------------------------------------------


@pytest.mark.sipp
async def test_the_sipp_agent_hanging_up_releases_the_callee(
    sipp: SippFactory, side_for: Callable[..., Any]
) -> None:
    # sipp answers, plays speech for 1 s and hangs up (BYE): the bridge ends, the flow
    # takes onCompleted and its hangup node releases the callee (who never hangs up)
    agent = sipp("uas_callee_bye")
    side = await side_for(agent.port, inbound_flow())
    callee = Callee()
    trace = await asyncio.wait_for(call_in(side, callee), 30)
    assert agent.wait() == 0, agent.diagnostics()
    [leg] = trace["legs"]
    assert (leg["outcome"], leg["reason"], leg["hungUpBy"]) == (
        "completed",
        "agent_hangup",
        "agent",
    )
    assert trace["outcomeReason"] == "forwarded" and callee.released
    assert strength(np.concatenate(callee.heard), 1000) < 0.05  # not our own tone back


@pytest.mark.sipp
async def test_sipp_agent_keys_pass_through_to_the_callee(
    sipp: SippFactory, side_for: Callable[..., Any]
) -> None:
    # sipp answers, plays speech, sends RFC 4733 "1" then "#" and waits for our BYE
    agent = sipp("uas_media")
    side = await side_for(agent.port, inbound_flow())
    callee = Callee(hangup_after_s=8.5)
    trace = await asyncio.wait_for(call_in(side, callee), 30)
    assert agent.wait() == 0, agent.diagnostics()
    assert callee.keys[:2] == ["1", "#"], (callee.keys, trace["events"])
    assert trace["legs"][0]["hungUpBy"] == "callee"
    assert "BYE" in agent.messages


@pytest.mark.sipp
async def test_the_callee_hanging_up_while_the_agent_rings_cancels_it_at_sipp(
    sipp: SippFactory, side_for: Callable[..., Any]
) -> None:
    agent = sipp("uas_noanswer")
    side = await side_for(agent.port, inbound_flow())
    callee = Callee(hangup_after_s=2.0)
    trace = await asyncio.wait_for(call_in(side, callee), 30)
    assert agent.wait() == 0, agent.diagnostics()
    assert "CANCEL sip:" in agent.messages
    [leg] = trace["legs"]
    assert (leg["outcome"], leg["reason"]) == ("cancelled", "callee_hangup")
    assert trace["outcomeReason"] == "callee_hangup"
