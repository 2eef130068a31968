"""`ForwardingSipChannel`: a `SipChannel` that can bridge a second leg (the Forward node).

`forward(request)` dials the agent through the same user agent (the trunk the
call went out on) as a plain `SipChannel` without AMD. While it rings the callee
hears the hold audio, or a ringback tone, repeated. On answer the agent hears
the whisper, then `media.bridge.Bridge` relays audio both ways (transcoding
between the legs' codecs), passes keys through and keeps the stereo recording;
the flow gets `LegAnswered`. The agent hanging up gives `BridgeEnded`; a leg
that never connects gives `LegFailed`. `stop_forward` (the flow ends, the
callee hung up, the maximum duration) CANCELs a ringing agent or hangs up a
connected one; hanging up this call does the same.

The agent's leg is an outbound call like any other: with a `leg_gate` (the
dialer's, see dialer/loop.py) it first takes one of the trunk's channels and a
start slot of its calls-per-second pacing, waiting at most the ring timeout for
a free channel (else `LegFailed` `trunk_channels_full`), and gives the channel
back when the leg ends.

Where the leg goes is the `router`'s choice (the SIP launcher's, dialer/leg_routes.py):
a `LegRoute` names the user agent (the node's `trunkId`, the call's trunk with its
group's failover, or a `sip:` URI's own host), what to dial and the gate; a string
refuses the leg (`LegFailed` with it as the reason; nothing is sent). Without a
router the leg goes out through this call's agent and `leg_gate`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from ringcast.telephony.channel import (
    Answered,
    BridgeEnded,
    BridgeRecording,
    DialFailed,
    DialRequest,
    ForwardRequest,
    LegAnswered,
    LegFailed,
    Pcm,
    RemoteHangup,
)
from ringcast.telephony.media.bridge import Bridge, StereoRecording

from .channel import FailoverHook, MediaOpener, SipChannel
from .ua import UserAgent

log = logging.getLogger("ringcast.telephony.sip")

LegRelease = Callable[[], None]
LegGate = Callable[[float], Awaitable[LegRelease | None]]
"""Before an agent leg is dialed: wait (at most the given seconds) for a trunk channel
and a paced start; returns how to give the channel back, or None (no channel came)."""


@dataclass(slots=True)
class LegRoute:
    """Where a forwarded leg goes: through `ua`, dialing `to` (a number, or the whole
    URI), reported as `trunk`; `gate` first (a channel and start slot), `failover` to
    the next trunk of the group on a failure that allows it; `release` gives back what
    the route took besides the gate (e.g. the channels of trunks failed over to)."""

    ua: UserAgent
    to: str
    trunk: str | None
    gate: LegGate | None = None
    failover: FailoverHook | None = None
    release: Callable[[], None] | None = None
    open_media: MediaOpener | None = None
    """The leg's RTP as its trunk wants it (None: as this call's); never the call's own
    media watch, which judges the call's stream (dialer/media_watch.py)."""


LegRouter = Callable[[ForwardRequest], Awaitable[LegRoute | str]]


@cache
def ringback() -> Pcm:
    """One ringback cadence: 1 s of 425 Hz, 3 s of silence."""
    t = np.arange(8000) / 8000
    tone = (6000 * np.sin(2 * np.pi * 425 * t)).astype(np.int16)
    out = np.concatenate([tone, np.zeros(24000, np.int16)])
    out.flags.writeable = False
    return out


class ForwardingSipChannel(SipChannel):
    """A `SipChannel` that is also a `ForwardingChannel`."""

    def __init__(
        self,
        *args: Any,
        leg_gate: LegGate | None = None,
        trunk: str | None = None,
        router: LegRouter | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self._leg_gate = leg_gate
        self._router = router
        self._trunk = trunk  # what the report's legs[].trunk says
        self._agent: SipChannel | None = None
        self._leg_route: LegRoute | None = None  # where the current leg went out
        self._bridge: Bridge | None = None
        self._pump: asyncio.Task[None] | None = None
        self._holding = False
        self._taken = 0
        self.recordings: list[StereoRecording] = []
        """The bridged conversations' stereo recordings (callee left, agent right)."""

    async def forward(self, request: ForwardRequest) -> None:
        await self._release()
        agent = SipChannel(self._ua, self._open_media, inband_dtmf=False)
        self._agent = agent
        self._hold(request.hold or [ringback()])
        self._pump = asyncio.get_running_loop().create_task(self._leg(agent, request))

    async def stop_forward(self, reason: str) -> None:
        await self._release(reason)

    def take_bridge_recordings(self) -> list[BridgeRecording]:
        """The stereo recordings not taken yet (`BridgeRecordingChannel`)."""
        fresh = self.recordings[self._taken :]
        self._taken = len(self.recordings)
        return [BridgeRecording(r.leg, r.pcm(), r.duration_ms) for r in fresh if r.duration_ms]

    async def hangup(self, reason: str = "normal") -> None:
        await self._release(reason)
        await super().hangup(reason)

    def _remote_hangup(self, reason: str) -> None:
        if self._agent is not None:
            asyncio.get_running_loop().create_task(self._release("callee_hangup"))
        super()._remote_hangup(reason)

    # ---- internals ---------------------------------------------------------------

    def _hold(self, clips: Sequence[Pcm]) -> None:
        media = self._media
        if media is None:
            return
        self._holding = True

        def again(_: asyncio.Future[bool]) -> None:
            if self._holding and self._media is media:
                media.play(clips).add_done_callback(again)

        media.play(clips).add_done_callback(again)

    def _unhold(self) -> None:
        if self._holding:
            self._holding = False
            if self._media is not None:
                self._media.stop_playback()

    async def _route(self, request: ForwardRequest) -> LegRoute | str:
        if self._router is None:
            return LegRoute(self._ua, request.to, self._trunk, self._leg_gate)
        try:
            return await self._router(request)
        except Exception as exc:  # a trunk we cannot start (its password, its transport)
            log.warning("forward to %s: no route: %s", request.to, exc)
            return f"no_route: {type(exc).__name__}: {exc}"[:200]

    def _leg_failed(self, agent: SipChannel, reason: str) -> None:
        if agent is self._agent:
            self._unhold()
            self._agent = None
            self._emit(LegFailed("failed", None, reason))

    async def _leg(self, agent: SipChannel, request: ForwardRequest) -> None:
        """The agent's leg from its route, channel and pacing slot to its end."""
        release: LegRelease | None = None
        loop = asyncio.get_running_loop()
        asked = loop.time()
        route = await self._route(request)
        if isinstance(route, str):
            self._leg_failed(agent, route)
            return
        try:
            if route.gate is not None:
                release = await route.gate(request.ring_timeout_ms / 1000)
                if release is None:
                    self._leg_failed(agent, "trunk_channels_full")
                    return
            # the time spent waiting for a channel and a slot comes off the ringing
            ring_ms = max(1000, request.ring_timeout_ms - int((loop.time() - asked) * 1000))
            agent.reroute(route.ua, route.failover, route.open_media)
            self._leg_route = route
            await agent.dial(DialRequest(route.to, request.from_, ring_ms, enable_amd=False))
            await self._follow(agent, request)
        finally:
            if release is not None:
                release()
            if route.release is not None:
                route.release()

    async def _follow(self, agent: SipChannel, request: ForwardRequest) -> None:
        while True:
            event = await agent.next_event()
            if agent is not self._agent:
                return
            if isinstance(event, Answered):
                self._unhold()
                agent_media = agent._media
                if request.whisper and agent_media is not None:
                    await agent_media.play(request.whisper)
                if agent is not self._agent or self._media is None:
                    return
                if agent._media is None:  # the agent hung up during the whisper
                    self._agent = None
                    self._emit(LegFailed("failed", None, "agent_hangup_during_whisper"))
                    return
                bridge = Bridge(self._media, agent._media, record=request.record, leg=request.leg)
                self._bridge = bridge
                bridge.start()
                route = self._leg_route
                self._emit(LegAnswered(request.to, route.trunk if route else self._trunk))
            elif isinstance(event, DialFailed):
                self._unhold()
                self._agent = None
                self._emit(LegFailed(event.outcome, event.sip_status, event.reason))
                return
            elif isinstance(event, RemoteHangup):
                self._end_bridge()
                self._agent = None
                self._emit(BridgeEnded("agent_hangup"))
                return

    def _end_bridge(self) -> None:
        bridge, self._bridge = self._bridge, None
        if bridge is not None:
            recording = bridge.stop()
            if recording is not None:
                self.recordings.append(recording)

    async def _release(self, reason: str = "released") -> None:
        """Cancel or hang up the agent's leg, if any. No event follows."""
        agent, self._agent = self._agent, None
        pump, self._pump = self._pump, None
        self._unhold()
        self._end_bridge()
        if pump is not None and not pump.done():
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        if agent is not None:
            await agent.hangup(reason)
