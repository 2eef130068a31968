"""The runner: performs the interpreter's actions on a Channel and feeds back events.

    trace = await FlowRunner(resolver).run(flow, ctx, channel, timebase)

The loop: perform the actions (dial, play, timers...), then wait for the next
thing to happen — a channel event or a timer, whichever the `Timebase` says
comes first — translate it into a flow event and `step` the interpreter, until
it emits `End`. After each step the runner tells the channel whether digits
can matter now (`interpreter.digits_wanted` → `Channel.listen_for_digits`, on
changes only, before the step's actions so a prompt never plays unheard).
The same code drives a SIP call (with `RealTimebase`) and a
scripted callee (`SimulatedChannel` + `VirtualTimebase`, instant).

Side effects the interpreter must not do are injected: a `ClipResolver` turns
clip requests into PCM (audio library + store); a `RecordingSink` stores a
recording and returns its id (default: kept in memory). A resolver or sink
failure is not a crash: it comes back to the flow as `PlaybackFailed` /
a failed recording, and the node takes `onError`.

An optional `NodeObserver` hears each node the run enters (the path entry,
as the trace records it), the moment the step that entered it returns: the
dialer shows calls in flight with their current node from it.

A watchdog guards every prompt: when a playback has not reported its end by
twice its length plus `STALL_MARGIN_MS` (a late media clock only stretches
playback, it cannot double it), the run gets `NodeStalled` and ends
`node_stalled` instead of waiting in the node until the callee gives up.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final, Protocol, runtime_checkable

from ringcast.audio.requests import ClipRequest
from ringcast.flow import interpreter
from ringcast.flow.compiled import CompiledFlow
from ringcast.flow.context import RunContext
from ringcast.flow.events import (
    Action,
    Answer,
    CallAnswered,
    CalleeHungUp,
    CallFailed,
    CancelTimer,
    CollectDigits,
    Dial,
    DigitPressed,
    FlowEvent,
    Forward,
    ForwardAnswered,
    ForwardEnded,
    ForwardFailed,
    Hangup,
    NodeStalled,
    Play,
    PlaybackFailed,
    PlaybackFinished,
    RecordingFinished,
    SetTimer,
    StartRecording,
    StopForward,
    StopPlayback,
    StopRecording,
    TimerFired,
)
from ringcast.flow.state import RunState
from ringcast.flow.timebase import Timebase
from ringcast.flow.trace import FlowTrace, PathEntry
from ringcast.telephony.channel import (
    Answered,
    BridgeEnded,
    BridgeRecordingChannel,
    Channel,
    ChannelEvent,
    DialFailed,
    DigitReceived,
    ForwardingChannel,
    ForwardRequest,
    LegAnswered,
    LegFailed,
    Pcm,
    PlaybackDone,
    RemoteHangup,
)

log = logging.getLogger("ringcast.flow")


class ClipResolver(Protocol):
    """Clip requests (values already read) → PCM clips, in order."""

    async def __call__(self, clips: Sequence[ClipRequest], ctx: RunContext) -> Sequence[Pcm]: ...


class RecordingSink(Protocol):
    """Store a recording; return its id (what a record node's variable gets).

    `audio` is mono (n,) or, for a forward's bridged conversation, stereo (n, 2)."""

    async def __call__(
        self, audio: Pcm, duration_ms: int, ctx: RunContext, node_id: str | None = None
    ) -> str: ...


@runtime_checkable
class DigitExpectingChannel(Protocol):
    """Optional channel hook: told when the flow starts waiting for keys."""

    def expect_digits(self, max_digits: int, timeout_ms: int) -> None: ...


class MemoryRecordingSink:
    """Keeps recordings in memory under `rec-<callId>-<n>` (simulate mode, tests)."""

    def __init__(self) -> None:
        self.recordings: dict[str, Pcm] = {}

    async def __call__(
        self, audio: Pcm, duration_ms: int, ctx: RunContext, node_id: str | None = None
    ) -> str:
        rid = f"rec-{ctx.call_id}-{len(self.recordings) + 1}"
        self.recordings[rid] = audio
        return rid


NodeObserver = Callable[[PathEntry], None]
"""Told of each node a run enters (must not block: called on the call's task)."""

STALL_TIMER: Final = "watchdog"
STALL_MARGIN_MS: Final = 5000
SAMPLE_RATE: Final = 8000


def stall_deadline_ms(clips: Sequence[Pcm], margin_ms: int = STALL_MARGIN_MS) -> int:
    """How long a playback of `clips` may take before the watchdog calls it stalled."""
    played_ms = sum(len(clip) for clip in clips) * 1000 // SAMPLE_RATE
    return 2 * played_ms + margin_ms


def _stalled(state: RunState, since: datetime, now: datetime) -> NodeStalled | None:
    """The watchdog fired: a prompt still playing past its deadline has stalled."""
    if not state.playing or state.finished:
        return None  # the prompt ended (or was stopped) in time: a stale watchdog
    waited = int((now - since).total_seconds() * 1000)
    return NodeStalled(state.node_id or "", waited)


class FlowRunner:
    def __init__(
        self,
        resolver: ClipResolver,
        recordings: RecordingSink | None = None,
        *,
        stall_margin_ms: int = STALL_MARGIN_MS,
        on_node: NodeObserver | None = None,
    ) -> None:
        self.resolver = resolver
        self.recordings: RecordingSink = recordings or MemoryRecordingSink()
        self.stall_margin_ms = stall_margin_ms
        self.on_node = on_node

    async def run(
        self, flow: CompiledFlow, ctx: RunContext, channel: Channel, timebase: Timebase
    ) -> FlowTrace:
        """Run the flow on `channel` to its end; returns the trace."""
        state, actions = interpreter.start(flow, ctx, timebase.now())
        synthetic: deque[FlowEvent] = deque()
        listening: bool | None = None  # what the channel was last told
        watched_since = timebase.now()  # when the prompt under the watchdog started
        watching = False
        told = 0  # path entries the observer has heard
        try:
            while True:
                if self.on_node is not None:
                    path = state.trace.execution_path
                    for entry in path[told:]:
                        self.on_node(entry)
                    told = len(path)
                wanted = interpreter.digits_wanted(state)
                if wanted != listening:
                    channel.listen_for_digits(wanted)
                    listening = wanted
                for action in actions:
                    await self._perform(action, ctx, channel, timebase, synthetic)
                    if isinstance(action, Play):
                        watched_since, watching = timebase.now(), True
                if watching and not state.playing:
                    timebase.cancel_timer(STALL_TIMER)  # the prompt reported: disarm
                    watching = False
                if state.finished:
                    await self._store_bridges(channel, ctx, state.trace)
                    return state.trace
                if synthetic:
                    event: FlowEvent = synthetic.popleft()
                else:
                    raw = await timebase.next_event(channel)
                    event = await self._translate(raw, ctx)
                    if isinstance(event, TimerFired) and event.timer_id == STALL_TIMER:
                        event = _stalled(state, watched_since, timebase.now()) or event
                state, actions = interpreter.step(state, event, timebase.now())
        finally:
            timebase.clear_timers()

    async def _perform(
        self,
        action: Action,
        ctx: RunContext,
        channel: Channel,
        timebase: Timebase,
        synthetic: deque[FlowEvent],
    ) -> None:
        if isinstance(action, SetTimer):
            timebase.set_timer(action.timer_id, action.delay_ms)
        elif isinstance(action, CancelTimer):
            timebase.cancel_timer(action.timer_id)
        elif isinstance(action, Play):
            try:
                clips = await self.resolver(action.clips, ctx)
            except Exception as exc:  # any resolver failure is the node's onError
                synthetic.append(PlaybackFailed(f"{type(exc).__name__}: {exc}"))
                return
            await channel.play(clips)
            timebase.set_timer(STALL_TIMER, stall_deadline_ms(clips, self.stall_margin_ms))
        elif isinstance(action, StopPlayback):
            await channel.stop_playback()
        elif isinstance(action, CollectDigits):
            if isinstance(channel, DigitExpectingChannel):
                channel.expect_digits(action.max_digits, action.timeout_ms)
        elif isinstance(action, Dial):
            await channel.dial(action.request)
        elif isinstance(action, Answer):
            await channel.answer()
        elif isinstance(action, StartRecording):
            await channel.start_recording(action.request)
        elif isinstance(action, StopRecording):
            await channel.stop_recording()
        elif isinstance(action, Hangup):
            await channel.hangup(action.reason)
        elif isinstance(action, Forward):
            await self._forward(action, ctx, channel, synthetic)
        elif isinstance(action, StopForward) and isinstance(channel, ForwardingChannel):
            await channel.stop_forward(action.reason)
        # End: nothing to do; the loop stops on state.finished.

    async def _forward(
        self, action: Forward, ctx: RunContext, channel: Channel, synthetic: deque[FlowEvent]
    ) -> None:
        if not isinstance(channel, ForwardingChannel):
            synthetic.append(ForwardFailed("failed", None, "forward_not_supported"))
            return
        try:
            hold = await self.resolver(action.hold, ctx) if action.hold else None
            whisper = await self.resolver(action.whisper, ctx) if action.whisper else ()
        except Exception as exc:  # as for a Play: the node's failure output
            synthetic.append(ForwardFailed("failed", None, f"{type(exc).__name__}: {exc}"))
            return
        await channel.forward(
            ForwardRequest(
                action.to,
                action.from_,
                action.ring_timeout_ms,
                action.record,
                hold,
                whisper,
                action.leg,
                action.trunk_id,
            )
        )

    async def _store_bridges(self, channel: Channel, ctx: RunContext, trace: FlowTrace) -> None:
        """Store the forwards' stereo recordings; each leg's `recordingId` names its own."""
        if not isinstance(channel, BridgeRecordingChannel):
            return
        for rec in channel.take_bridge_recordings():
            leg = trace.legs[rec.leg] if 0 <= rec.leg < len(trace.legs) else None
            try:
                rid = await self.recordings(
                    rec.audio, rec.duration_ms, ctx, leg.node_id if leg else None
                )
            except Exception:  # the call is over either way; the report says no recording
                log.exception("call %s: the forward's recording was not stored", ctx.call_id)
                continue
            if leg is not None:
                leg.recording_id = rid

    async def _translate(self, raw: ChannelEvent | TimerFired, ctx: RunContext) -> FlowEvent:
        if isinstance(raw, TimerFired):
            return raw
        if isinstance(raw, PlaybackDone):
            return PlaybackFinished(raw.interrupted)
        if isinstance(raw, DigitReceived):
            return DigitPressed(raw.digit)
        if isinstance(raw, Answered):
            return CallAnswered(
                raw.answered_by, raw.amd_reason, raw.amd_decision_ms, raw.greeting_ms
            )
        if isinstance(raw, DialFailed):
            return CallFailed(raw.outcome, raw.sip_status, raw.reason)
        if isinstance(raw, RemoteHangup):
            return CalleeHungUp(raw.reason)
        if isinstance(raw, LegAnswered):
            return ForwardAnswered(raw.to, raw.trunk)
        if isinstance(raw, LegFailed):
            return ForwardFailed(raw.outcome, raw.sip_status, raw.reason)
        if isinstance(raw, BridgeEnded):
            return ForwardEnded(raw.reason)
        try:
            rid = await self.recordings(raw.audio, raw.duration_ms, ctx)
        except Exception:  # storing failed: the record node takes onError
            return RecordingFinished(None, raw.duration_ms, "error")
        return RecordingFinished(rid, raw.duration_ms, raw.reason)
