"""Inbound calls: a sipp UAC calls our user agent, which answers and plays a clip."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np
import pytest

from ringcast.telephony.channel import Answered, ChannelEvent, PlaybackDone, RemoteHangup
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.sip import SipCall, TrunkConfig, UserAgent
from ringcast.telephony.sip.channel import SipChannel, rtp_media

pytestmark = pytest.mark.sipp
Sipp = Callable[..., Any]  # the `sipp` fixture of conftest.py (not importable here)
TONE = (np.sin(2 * np.pi * 440 * np.arange(4000) / 8000) * 6000).astype(np.int16)


@pytest.fixture
async def clock() -> AsyncIterator[MediaClock]:
    clock = MediaClock()
    yield clock
    clock.close()


async def test_inbound_invite_is_answered_and_plays(sipp: Sipp, clock: MediaClock) -> None:
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=5060))
    assert ua.transport is not None
    seen: list[ChannelEvent] = []
    dialed: list[str | None] = []
    finished = asyncio.Event()

    async def run_flow(call: SipCall) -> None:  # stands in for the flow runner's answer node
        channel = SipChannel.inbound(ua, call, rtp_media(clock))
        dialed.append(call.dialed_user)
        await channel.answer()
        seen.append(await channel.next_event())
        await channel.play([TONE])
        while not isinstance(seen[-1], RemoteHangup):
            seen.append(await asyncio.wait_for(channel.next_event(), 15))
        finished.set()

    tasks: set[asyncio.Task[None]] = set()
    ua.on_invite = lambda call: tasks.add(asyncio.get_running_loop().create_task(run_flow(call)))
    try:
        # sipp's built-in UAC: INVITE with SDP, ACK, hold the call ~1 s, BYE.
        peer = sipp("uac", extra=["-d", "1000", "-s", "2001",
                                  f"127.0.0.1:{ua.transport.local_port}"])  # fmt: skip
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
        await asyncio.wait_for(finished.wait(), 5)
    finally:
        ua.close()
    assert dialed == ["2001"]
    assert seen[0] == Answered("unknown", sip_status=200)
    assert PlaybackDone(interrupted=False) in seen
    assert seen[-1] == RemoteHangup("bye")


async def test_invite_from_unknown_peer_is_refused_with_403(
    sipp: Sipp, caplog: pytest.LogCaptureFixture
) -> None:
    ua = await UserAgent.start(TrunkConfig(host="trunk.invalid", port=5060))
    assert ua.transport is not None
    offered: list[SipCall] = []
    ua.on_invite = offered.append
    try:
        with caplog.at_level(logging.WARNING, logger="ringcast.telephony.sip"):
            target = f"127.0.0.1:{ua.transport.local_port}"
            peer = sipp("uac_expect_403", extra=["-s", "2001", target])
            assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    finally:
        ua.close()
    assert "SIP/2.0 403 Forbidden" in peer.messages
    assert offered == []
    assert any("refused" in r.getMessage() for r in caplog.records)


async def test_inbound_call_runs_an_answer_flow(sipp: Sipp, clock: MediaClock) -> None:
    """sipp calls our DID; the flow runner answers, plays a clip and hangs up (our BYE)."""
    from ringcast.flow import FlowRunner, RealTimebase, RunContext, compile_flow

    flow = compile_flow(
        {
            "startNodeId": "answer",
            "nodes": [
                {
                    "id": "answer",
                    "type": "answer",
                    "outputs": {"onSuccess": "greet", "onError": "bye"},
                },
                {
                    "id": "greet",
                    "type": "play",
                    "config": {"audioItems": [{"type": "audioFile", "audioId": "hello"}]},
                    "outputs": {"onComplete": "bye", "onError": "bye"},
                },
                {"id": "bye", "type": "hangup"},
            ],
        }
    )
    requested: list[str] = []

    async def resolver(clips, ctx):  # type: ignore[no-untyped-def]
        requested.extend(getattr(c, "audio_id", "?") for c in clips)
        return [TONE]

    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=5060))
    assert ua.transport is not None
    traces = []
    done = asyncio.Event()

    async def run(call: SipCall) -> None:
        channel = SipChannel.inbound(ua, call, rtp_media(clock))
        ctx = RunContext(call_id=call.call_id, direction="inbound", to_number=call.dialed_user)
        traces.append(await FlowRunner(resolver).run(flow, ctx, channel, RealTimebase()))
        done.set()

    tasks: set[asyncio.Task[None]] = set()
    ua.on_invite = lambda call: tasks.add(asyncio.get_running_loop().create_task(run(call)))
    try:
        peer = sipp("uac_expect_bye", extra=["-s", "2001", f"127.0.0.1:{ua.transport.local_port}"])
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
        await asyncio.wait_for(done.wait(), 5)
    finally:
        ua.close()
    (trace,) = traces
    assert [p.node_id for p in trace.execution_path] == ["answer", "greet", "bye"]
    assert trace.outcome == "completed", trace.outcome_reason
    assert len(requested) == 1
    # the offer put PCMA first: we answered with PCMA (and telephone-event)
    assert "m=audio" in peer.messages and "RTP/AVP 8 101" in peer.messages
