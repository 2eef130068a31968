"""A scripted callee: a `Channel` driver that runs in virtual time.

The simulated far end follows a `CalleeScript` (answer how, press which keys,
talk how long, hang up when). Nothing sleeps: every consequence of a command is
scheduled as an event at a virtual millisecond on a heap, and `next_event`
pops the earliest and moves the shared `VirtualClock` there. A flow runner
interleaves its own timers with these through `next_event_at_ms` (see
`ringcast.flow.timebase.VirtualTimebase`), so a five-minute call simulates in
microseconds and timestamps still read as a real call's would.

Script semantics:
- `answer`: `human`/`machine` answer after `ring_ms`, the AMD verdict coming
  `amd_ms` later (`unknown` when the dial disabled AMD; a machine with
  `wait_for_beep` is reported only after `machine_greeting_ms` more);
  `no_answer` fails after the dial's own ring timeout; `busy` (486), `rejected`
  (603) and `error` (503 → `failed`) fail at once or after ringing.
- `digits`: one entry per digit collection, in order. Each entry is the keys
  typed for that attempt (`"1"`, `"1234#"`); `""` or running out means silence.
  Keys start `key_delay_ms` after the prompt ends (or after the collection
  starts if nothing plays; with `type_during_prompt`, after the collection
  starts even while the prompt plays), `inter_key_ms` apart. The callee types
  only when asked (`expect_digits`, which the runner calls for the flow's
  CollectDigits action).
- `keys_at_ms`: keys pressed at fixed times (ms after the answer as the flow
  sees it), whatever the flow is doing: stray keys, type-ahead, finish keys.
- `inband`: keys are tones, as a SIP driver hears them: reported (source
  `inband`) only while the flow listens (`listen_for_digits`); a key due while
  it does not is dropped (kept in `unheard`). Otherwise keys are signalled
  (source `simulated`) and always reported.
- `speech_ms`: how long the callee talks when recorded; the recording then ends
  on the silence timeout, or at max duration if that comes first.
- `hangup_after_ms`: the callee hangs up this long after the call is answered
  as the flow sees it, i.e. after the AMD verdict (None = never; the flow ends
  the call). A recording in progress ends first
  with reason `hangup`.
- `forward`: one entry per forwarded leg (Forward node), in order: `answer`
  (after `forward_ring_ms`; the agent hangs up `forward_talk_ms` later, None =
  never), `no_answer` (at the leg's ring timeout), `busy` (486), `rejected`
  (603), `error` (503 → `failed`); running out means `answer`.
Playback takes the clips' real duration (samples / 8 per ms).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import numpy as np

from ringcast.telephony.channel import (
    Answered,
    BridgeEnded,
    BridgeRecording,
    ChannelEvent,
    DialFailed,
    DialRequest,
    DigitReceived,
    ForwardRequest,
    LegAnswered,
    LegFailed,
    Pcm,
    PlaybackDone,
    RecordingDone,
    RecordRequest,
    RemoteHangup,
)

ScriptedAnswer = Literal["human", "machine", "no_answer", "busy", "rejected", "error"]
ScriptedLeg = Literal["answer", "no_answer", "busy", "rejected", "error"]
RecordingEnd = Literal["max_duration", "silence", "finish_key", "hangup", "stopped"]
SAMPLES_PER_MS = 8


class SimulationStalledError(Exception):
    """`next_event` was awaited with nothing scheduled: it would wait forever."""


@dataclass(frozen=True, slots=True)
class CalleeScript:
    answer: ScriptedAnswer = "human"
    digits: tuple[str, ...] = ()
    speech_ms: int = 3000
    hangup_after_ms: int | None = None
    ring_ms: int = 2000
    amd_ms: int = 1500
    machine_greeting_ms: int = 8000
    key_delay_ms: int = 600
    inter_key_ms: int = 250
    type_during_prompt: bool = False
    keys_at_ms: tuple[tuple[int, str], ...] = ()
    inband: bool = False
    forward: tuple[ScriptedLeg, ...] = ()
    forward_ring_ms: int = 3000
    forward_talk_ms: int | None = 30000


class VirtualClock:
    """Milliseconds since `start`, moved only by whoever pops the next event."""

    __slots__ = ("now_ms", "start")

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.now_ms = 0

    def now(self) -> datetime:
        return self.start + timedelta(milliseconds=self.now_ms)


@dataclass(order=True, slots=True)
class _Scheduled:
    at_ms: int
    seq: int
    event: ChannelEvent = field(compare=False)
    alive: bool = field(default=True, compare=False)


class SimulatedChannel:
    """A `Channel` whose far end is a `CalleeScript`."""

    def __init__(self, script: CalleeScript, clock: VirtualClock, call_id: str = "sim") -> None:
        self.script = script
        self.clock = clock
        self._call_id = call_id
        self._heap: list[_Scheduled] = []
        self._seq = 0
        self._entries = list(script.digits)
        self._playback: _Scheduled | None = None
        self._recording: _Scheduled | None = None
        self._recording_started_ms = 0
        self._legs = list(script.forward)
        self._leg_events: list[_Scheduled] = []
        self.forwards: list[ForwardRequest] = []
        """Every `forward` request, for tests."""
        self._bridged: tuple[ForwardRequest, int] | None = None  # (request, answered at ms)
        self._bridge_recordings: list[BridgeRecording] = []
        self._dead = False
        self.commands: list[tuple[int, str]] = []
        """(virtual ms, command) as received, for tests and debugging."""
        self.listening = True
        self.listen_changes: list[tuple[int, bool]] = []
        """(virtual ms, on) for each `listen_for_digits` call."""
        self.unheard: list[tuple[int, str]] = []
        """(virtual ms, key) of in-band keys dropped while not listening."""

    @property
    def call_id(self) -> str:
        return self._call_id

    # ---- commands -------------------------------------------------------------------

    async def dial(self, request: DialRequest) -> None:
        self._note("dial")
        s = self.script
        if s.answer in ("human", "machine"):
            verdict: Literal["human", "machine", "unknown"] = (
                s.answer if request.enable_amd else "unknown"
            )
            delay = s.ring_ms + (s.amd_ms if request.enable_amd else 0)
            if verdict == "machine" and request.wait_for_beep:
                delay += s.machine_greeting_ms
            reason = {"human": "after_greeting_silence", "machine": "long_greeting"}
            self._at(
                delay,
                Answered(
                    answered_by=verdict,
                    amd_reason=reason[s.answer] if request.enable_amd else None,
                    amd_decision_ms=s.amd_ms if request.enable_amd else None,
                ),
            )
            self._schedule_callee(delay)
        elif s.answer == "no_answer":
            self._at(request.timeout_ms, DialFailed("no_answer", None, "ring_timeout"))
        elif s.answer == "busy":
            self._at(300, DialFailed("busy", 486, "486 Busy Here"))
        elif s.answer == "rejected":
            self._at(s.ring_ms, DialFailed("rejected", 603, "603 Decline"))
        else:
            self._at(100, DialFailed("failed", 503, "503 Service Unavailable"))

    async def answer(self) -> None:
        self._note("answer")
        self._at(0, Answered(answered_by="unknown"))
        self._schedule_callee(0)

    async def play(self, clips: Sequence[Pcm]) -> None:
        duration_ms = sum(len(c) for c in clips) // SAMPLES_PER_MS
        self._note(f"play {duration_ms}ms")
        if self._playback is not None:
            self._playback.alive = False  # replaced: only the new playback reports
        self._playback = self._at(duration_ms, PlaybackDone())

    async def stop_playback(self) -> None:
        self._note("stop_playback")
        current = self._playback
        self._playback = None
        if current is not None and current.alive and current.at_ms > self.clock.now_ms:
            current.alive = False
            self._at(0, PlaybackDone(interrupted=True))

    async def start_recording(self, request: RecordRequest) -> None:
        self._note("start_recording")
        talk = self.script.speech_ms + request.silence_timeout_ms
        reason: RecordingEnd
        if talk >= request.max_duration_ms:
            duration, reason = request.max_duration_ms, "max_duration"
        else:
            duration, reason = talk, "silence"
        self._recording_started_ms = self.clock.now_ms
        self._recording = self._at(duration, RecordingDone(_silence(duration), duration, reason))

    async def stop_recording(self) -> None:
        self._note("stop_recording")
        self._end_recording("stopped")

    async def hangup(self, reason: str = "normal") -> None:
        self._note(f"hangup {reason}")
        self._dead = True
        self._heap.clear()

    async def forward(self, request: ForwardRequest) -> None:
        self._note(f"forward {request.to}")
        self.forwards.append(request)
        s = self.script
        leg = self._legs.pop(0) if self._legs else "answer"
        events: list[tuple[int, ChannelEvent]]
        if leg == "answer":
            events = [(s.forward_ring_ms, LegAnswered(request.to, "sim"))]
            if s.forward_talk_ms is not None:
                events.append((s.forward_ring_ms + s.forward_talk_ms, BridgeEnded()))
        elif leg == "no_answer":
            events = [(request.ring_timeout_ms, LegFailed("no_answer", None, "ring_timeout"))]
        elif leg == "busy":
            events = [(300, LegFailed("busy", 486, "486 Busy Here"))]
        elif leg == "rejected":
            events = [(s.forward_ring_ms, LegFailed("rejected", 603, "603 Decline"))]
        else:
            events = [(100, LegFailed("failed", 503, "503 Service Unavailable"))]
        self._leg_events = [self._at(delay, event) for delay, event in events]

    async def stop_forward(self, reason: str) -> None:
        self._note(f"stop_forward {reason}")
        for item in self._leg_events:
            item.alive = False
        self._leg_events = []
        self._end_bridge()

    def take_bridge_recordings(self) -> list[BridgeRecording]:
        """A silent stereo recording per recorded bridge (`BridgeRecordingChannel`)."""
        self._end_bridge()
        out, self._bridge_recordings = self._bridge_recordings, []
        return out

    def _end_bridge(self) -> None:
        if self._bridged is None:
            return
        request, since = self._bridged
        self._bridged = None
        duration = self.clock.now_ms - since
        if request.record and duration > 0:
            # silence as a read-only view: a 2-hour bridge costs no memory here
            audio = np.broadcast_to(np.zeros((1, 2), np.int16), (duration * SAMPLES_PER_MS, 2))
            self._bridge_recordings.append(BridgeRecording(request.leg, audio, duration))

    def listen_for_digits(self, on: bool) -> None:
        self.listening = on
        self.listen_changes.append((self.clock.now_ms, on))

    async def next_event(self) -> ChannelEvent:
        item = self._pop()
        if item is None:
            raise SimulationStalledError("no event is scheduled")
        self.clock.now_ms = max(self.clock.now_ms, item.at_ms)
        event = item.event
        if item is self._playback:
            self._playback = None
        if item is self._recording:
            self._recording = None
        if isinstance(event, LegAnswered) and self.forwards:
            self._bridged = (self.forwards[-1], self.clock.now_ms)
        elif isinstance(event, BridgeEnded):
            self._end_bridge()
        if isinstance(event, RemoteHangup):
            if self._recording is not None:
                # The recording ends first, as a real driver would report it.
                heapq.heappush(self._heap, item)
                return self._end_recording("hangup", now=True)
            self._dead = True
            self._heap.clear()
        return event

    # ---- for the runner's virtual timebase ---------------------------------------------

    def next_event_at_ms(self, timer_at_ms: int | None = None) -> int | None:
        # The head's fate (an in-band key heard or not) is decided by the listening
        # state now, but only if nothing comes before it: a timer due earlier
        # (`timer_at_ms`) fires first and may change what the flow listens for.
        while self._heap:
            head = self._heap[0]
            if timer_at_ms is not None and head.at_ms > timer_at_ms and head.alive:
                return head.at_ms
            if self._live(head):
                return head.at_ms
            heapq.heappop(self._heap)
        return None

    def expect_digits(self, max_digits: int, timeout_ms: int) -> None:
        """The flow now waits for keys: type the next scripted entry."""
        self._note("expect_digits")
        keys = self._entries.pop(0) if self._entries else ""
        start = self.clock.now_ms
        if self._playback is not None and not self.script.type_during_prompt:
            start = max(start, self._playback.at_ms)
        first = start + self.script.key_delay_ms - self.clock.now_ms
        for i, key in enumerate(keys):
            self._at(first + i * self.script.inter_key_ms, self._key(key))

    # ---- internals -------------------------------------------------------------------

    def _note(self, what: str) -> None:
        self.commands.append((self.clock.now_ms, what))

    def _at(self, delay_ms: int, event: ChannelEvent) -> _Scheduled:
        self._seq += 1
        item = _Scheduled(self.clock.now_ms + max(0, delay_ms), self._seq, event)
        if not self._dead:
            heapq.heappush(self._heap, item)
        return item

    def _pop(self) -> _Scheduled | None:
        while self._heap:
            item = heapq.heappop(self._heap)
            if self._live(item):
                return item
        return None

    def _live(self, item: _Scheduled) -> bool:
        event = item.event
        if not item.alive:
            return False
        if isinstance(event, DigitReceived) and event.source == "inband" and not self.listening:
            item.alive = False
            self.unheard.append((item.at_ms, event.digit))
            return False
        return True

    def _key(self, key: str) -> DigitReceived:
        return DigitReceived(key, "inband" if self.script.inband else "simulated")

    def _schedule_callee(self, answer_delay_ms: int) -> None:
        for at_ms, key in self.script.keys_at_ms:
            self._at(answer_delay_ms + at_ms, self._key(key))
        if self.script.hangup_after_ms is not None:
            self._at(answer_delay_ms + self.script.hangup_after_ms, RemoteHangup("callee"))

    def _end_recording(self, reason: RecordingEnd, *, now: bool = False) -> RecordingDone:
        current = self._recording
        self._recording = None
        duration = self.clock.now_ms - self._recording_started_ms
        done = RecordingDone(_silence(duration), duration, reason)
        if current is not None:
            current.alive = False
            if not now:
                self._at(0, done)
        return done


def _silence(duration_ms: int) -> Pcm:
    return np.zeros(max(0, duration_ms) * SAMPLES_PER_MS, dtype=np.int16)
