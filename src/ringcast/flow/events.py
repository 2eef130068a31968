"""The interpreter's vocabulary: events in, actions out, clip requests.

Events are what happened (the runner translates `Channel` events into these
and adds timers); actions are what to do next (the runner performs them on the
`Channel`). All are small frozen dataclasses with no I/O and no clock: the time
of an event is given to `interpreter.step` alongside it.

A `Play` action carries `ClipRequest`s (`ringcast.audio.requests`, the one clip
vocabulary) whose values are already read from the run (a number to say is a
concrete number, not a ValueSource), so turning them into audio needs no access
to the run: that is the injected clip resolver's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ringcast.audio.requests import ClipRequest
from ringcast.telephony.channel import AnsweredBy, DialFailure, DialRequest, RecordRequest

# ---- events ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallAnswered:
    answered_by: AnsweredBy = "unknown"
    amd_reason: str | None = None
    amd_decision_ms: int | None = None
    amd_greeting_ms: int | None = None


@dataclass(frozen=True, slots=True)
class CallFailed:
    """The dial did not connect: no answer, busy, rejected, or an error (`failed`)."""

    outcome: DialFailure
    sip_status: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PlaybackFinished:
    interrupted: bool = False


@dataclass(frozen=True, slots=True)
class PlaybackFailed:
    """The clips could not be produced (e.g. an audio id vanished)."""

    reason: str


@dataclass(frozen=True, slots=True)
class DigitPressed:
    digit: str


@dataclass(frozen=True, slots=True)
class TimerFired:
    timer_id: str


RecordingEnd = Literal["max_duration", "silence", "finish_key", "hangup", "stopped", "error"]


@dataclass(frozen=True, slots=True)
class RecordingFinished:
    """A recording ended; `recording_id` is what the runner's sink stored it as."""

    recording_id: str | None
    duration_ms: int
    reason: RecordingEnd


@dataclass(frozen=True, slots=True)
class CalleeHungUp:
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ForwardAnswered:
    to: str
    trunk: str | None = None


@dataclass(frozen=True, slots=True)
class ForwardFailed:
    outcome: DialFailure
    sip_status: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ForwardEnded:
    reason: str = "agent_hangup"


@dataclass(frozen=True, slots=True)
class NodeStalled:
    """The runner's watchdog: the node made no progress past its expected time
    (a prompt that never reported its end, say). The run ends `node_stalled`."""

    node_id: str
    waited_ms: int


FlowEvent = (
    CallAnswered
    | CallFailed
    | PlaybackFinished
    | PlaybackFailed
    | DigitPressed
    | TimerFired
    | RecordingFinished
    | CalleeHungUp
    | ForwardAnswered
    | ForwardFailed
    | ForwardEnded
    | NodeStalled
)

# ---- actions -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dial:
    request: DialRequest


@dataclass(frozen=True, slots=True)
class Answer:
    pass


@dataclass(frozen=True, slots=True)
class Play:
    clips: tuple[ClipRequest, ...]
    barge_in: bool = False


@dataclass(frozen=True, slots=True)
class StopPlayback:
    pass


@dataclass(frozen=True, slots=True)
class CollectDigits:
    """Digits are now awaited (one attempt), for a driver that cares (the
    scripted callee types its keys). Whether keys are heard at all is
    `interpreter.digits_wanted`, passed to `Channel.listen_for_digits`."""

    node_id: str
    mode: Literal["single_digit", "multi_digit"]
    max_digits: int
    timeout_ms: int


@dataclass(frozen=True, slots=True)
class StartRecording:
    request: RecordRequest


@dataclass(frozen=True, slots=True)
class StopRecording:
    pass


@dataclass(frozen=True, slots=True)
class SetTimer:
    timer_id: str
    delay_ms: int


@dataclass(frozen=True, slots=True)
class CancelTimer:
    timer_id: str


@dataclass(frozen=True, slots=True)
class Hangup:
    reason: str = "normal"


@dataclass(frozen=True, slots=True)
class Forward:
    """Call `to` and bridge it to this call; `hold`/`whisper` are resolved by the runner
    (an empty `hold` = the channel's ringback tone)."""

    to: str
    from_: str
    ring_timeout_ms: int
    record: bool
    hold: tuple[ClipRequest, ...] = ()
    whisper: tuple[ClipRequest, ...] = ()
    leg: int = 0  # the leg's index in the trace's `legs`
    trunk_id: str | None = None  # the node's `trunkId` (None: the call's trunk)


@dataclass(frozen=True, slots=True)
class StopForward:
    """Cancel or hang up the forwarded leg. No event follows."""

    reason: str


@dataclass(frozen=True, slots=True)
class End:
    """The run is over; nothing else will be asked. Timers may be dropped."""

    outcome: str
    reason: str | None


Action = (
    Dial
    | Answer
    | Play
    | StopPlayback
    | CollectDigits
    | StartRecording
    | StopRecording
    | SetTimer
    | CancelTimer
    | Hangup
    | Forward
    | StopForward
    | End
)
