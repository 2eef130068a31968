"""The Channel seam: one call leg, as the flow runner sees it.

A channel is driven by commands (dial, answer, play, record, hang up) that
*start* something and return at once, and it reports what happens through one
ordered event stream (`next_event`). Digits are reported whenever they arrive;
it is the flow interpreter's business to keep or ignore them. The one exception
is `listen_for_digits(False)`: the flow says no key can matter now, and a driver
may stop detection that costs CPU (the in-band tone detector), so in-band digits
are not reported until `listen_for_digits(True)`. Cheap signalled digits (RFC
4733, SIP INFO) are reported regardless. A new channel listens. Drivers:

- `ringcast.telephony.sip` (real SIP + RTP call),
- `ringcast.telephony.simulated` (scripted callee, for simulate mode and unit tests).

Audio crosses this seam as 8 kHz signed 16-bit mono numpy arrays (`Pcm`); a
driver encodes to the negotiated codec. Recordings come back the same way and
the caller (the dialer) stores them: engines never touch storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Pcm = npt.NDArray[np.int16]
"""8 kHz, signed 16-bit, mono samples."""

LOST_FRAME: Pcm = np.zeros(160, dtype=np.int16)
"""The 20 ms frame a media listener gets where the network lost the far end's audio
(an RTP sequence gap, `media/timeline.py`), this very array: compare by identity,
`frame is LOST_FRAME`. It is silence to whoever plays, records or scans it (recorder,
bridge, DTMF detector); the detectors that judge silence (AMD, the greeting end)
count it as neither speech nor silence. A pause the far end chose not to send (DTX: a
timestamp jump with no sequence gap) is silence and arrives as ordinary zero frames."""
LOST_FRAME.setflags(write=False)

AnsweredBy = Literal["human", "machine", "unknown"]
DialFailure = Literal["no_answer", "busy", "rejected", "failed"]
DigitSource = Literal["rfc4733", "inband", "sip_info", "simulated"]


@dataclass(frozen=True, slots=True)
class AmdSettings:
    """Answering-machine detection thresholds (Asterisk-style), all in ms.

    Defaults are human-first, chosen on the tune split of bench/amd.py's
    corpus or taken from published figures (greeting_ms: Twilio's 2400 ms):
    Asterisk's AMD() with its defaults called 71-81% of humans machines
    there; these call 0-1.9%. `total_analysis_ms` counts from the first word,
    and at most 2 s later than from answer (so a machine that starts talking
    late is still recognised). `greeting_span_ms` 0 turns the span rule off.
    `silence_threshold` (mean absolute amplitude a speech frame must reach)
    is 32, not Asterisk's 256: speech is told from line noise by its height
    above the noise floor, and 256 lost quiet callers (bench/amd.py, the
    corpus 10 / 20 dB quieter: 80-87% / 37-46% accurate before, 89-94% /
    83-90% now).
    Issue 20 (bench/amd.py, chosen on the tune split only): `greeting_ms`
    4000 and `greeting_span_ms` 4500 so a business answering with one 3-4 s
    sentence is heard as a person (2400 / 4000 called 4 % of tune people
    machines once such answers were in the corpus, 4000 / 4500 none); `initial_silence_ms` 6000
    so a person who answers after 3-5 s of silence is heard (3500: 69 % on
    the tune `late` line, 6000: 96.5 %).
    Issue 20, second pass (tune split only, with 20 more business answers and
    20 short no-beep voicemails in it): `greeting_ms` 4500, `greeting_span_ms`
    5000, `total_analysis_ms` 6000. With 4000 / 4500 / 5000, 5 of 28 tune
    businesses ended `unknown` (their 4-4.5 s sentence and the 1 s pause after
    it did not fit in 5 s) or `long_greeting`; tune clean / SNR 5 dB went from
    81.2 / 79.4 % (humans called machines 1.2 / 5.0 %) to 83.1 / 82.5 % (0 / 0 %),
    for two machines (of 80) taken for people and machine verdicts about 0.6 s
    later. 5000 / 5500 / 6500 was worse (82.5 / 81.9 %). `maximum_words` 8: a
    quiet line breaks a business's sentence into more "words" than 6 (tune quiet:
    one business called a machine by max_words; 8 and 10: none, and no other
    tune change on clean, quiet or SNR 5 dB).
    Issue 20, third pass (tune only): `after_greeting_silence_ms` 920, not 1000,
    so a person is answered within 1.0 s of stopping (median): the VAD hears a
    word's end 30-60 ms late (Silero's 32 ms windows, the hangover), so 1000 ms
    of measured silence answered tune people a median 1.05 s after they stopped
    (1000 / 960 / 940 / 920 / 900: 1.05 / 1.02 / 1.00 / 0.98 / 0.96 s on tune
    clean). 960-920 cost the same one machine on tune quiet and late (an
    Italian carrier message pausing about 0.95 s between its sentences, 83.1 ->
    82.5 %), 900 one more (alaw_loss); clean, SNR 10 and SNR 5 dB unchanged, no
    person called a machine.
    See `telephony.amd.detector` for the rules and the figures.
    """

    initial_silence_ms: int = 6000
    greeting_ms: int = 4500
    greeting_span_ms: int = 5000
    after_greeting_silence_ms: int = 920
    total_analysis_ms: int = 6000
    min_word_length_ms: int = 100
    between_words_silence_ms: int = 50
    maximum_words: int = 8
    silence_threshold: int = 32
    keywords: bool = False
    """Spot voicemail phrases (pocketsphinx, en-US; `telephony.amd.keywords`) as
    machine-only evidence, when the `kws` extra is installed."""


AMD_REASONS = frozenset(
    {
        "beep",
        "keyword",
        "max_words",
        "long_greeting",
        "after_greeting_silence",
        "initial_silence",
        "packet_loss",
        "timeout",
    }
)
"""Every `amdReason` a detector can give (the rules of `telephony.amd.detector`);
the simulated channel gives only these too."""


@dataclass(frozen=True, slots=True)
class DialRequest:
    to: str
    from_: str
    timeout_ms: int = 30000
    enable_amd: bool = True
    amd: AmdSettings = field(default_factory=AmdSettings)
    wait_for_beep: bool = False
    wait_for_beep_cap_ms: int = 20000


@dataclass(frozen=True, slots=True)
class RecordRequest:
    max_duration_ms: int = 60000
    silence_timeout_ms: int = 5000
    beep: bool = True
    finish_on_key: str | None = None


@dataclass(frozen=True, slots=True)
class ForwardRequest:
    """A second leg to `to` (E.164 or `sip:` URI), bridged to this call on answer.

    While it rings the callee hears `hold` (None = a ringback tone); on answer
    the agent hears `whisper` first, then both legs are bridged (keys passed
    through). `record`: the bridged conversation as one stereo recording.
    """

    to: str
    from_: str
    ring_timeout_ms: int = 30000
    record: bool = True
    hold: Sequence[Pcm] | None = None
    whisper: Sequence[Pcm] = ()
    leg: int = 0
    """The leg's index in the call's trace (`legs[]`): its recording is tagged with it."""
    trunk_id: str | None = None
    """The trunk to dial it through (the Forward node's `trunkId`); None: the call's own."""


# ---- events -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answered:
    """The dial (or inbound answer) connected; AMD has decided when enabled."""

    answered_by: AnsweredBy = "unknown"
    amd_reason: str | None = None
    amd_decision_ms: int | None = None
    greeting_ms: int | None = None
    sip_status: int | None = 200


@dataclass(frozen=True, slots=True)
class DialFailed:
    outcome: DialFailure
    sip_status: int | None = None
    reason: str | None = None  # e.g. "486 Busy Here", "ring_timeout"


@dataclass(frozen=True, slots=True)
class PlaybackDone:
    interrupted: bool = False


@dataclass(frozen=True, slots=True)
class DigitReceived:
    digit: str
    source: DigitSource = "rfc4733"


@dataclass(frozen=True, slots=True)
class RecordingDone:
    audio: Pcm
    duration_ms: int
    reason: Literal["max_duration", "silence", "finish_key", "hangup", "stopped"]


@dataclass(frozen=True, slots=True)
class RemoteHangup:
    """The far end ended the call (BYE, or the media died)."""

    reason: str | None = None


@dataclass(frozen=True, slots=True)
class LegAnswered:
    """The forwarded leg answered; the legs are bridged (after the whisper)."""

    to: str
    trunk: str | None = None


@dataclass(frozen=True, slots=True)
class LegFailed:
    """The forwarded leg did not connect (ring timeout, busy, rejected, error)."""

    outcome: DialFailure
    sip_status: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BridgeEnded:
    """The forwarded leg hung up after answering: the bridge is over, this call stays up."""

    reason: str = "agent_hangup"


ChannelEvent = (
    Answered
    | DialFailed
    | PlaybackDone
    | DigitReceived
    | RecordingDone
    | RemoteHangup
    | LegAnswered
    | LegFailed
    | BridgeEnded
)


class Channel(Protocol):
    """One call leg. Commands start work; results arrive through `next_event`."""

    @property
    def call_id(self) -> str: ...

    async def dial(self, request: DialRequest) -> None:
        """Start an outbound call; later emits `Answered` or `DialFailed`."""

    async def answer(self) -> None:
        """Answer an inbound call; later emits `Answered`."""

    async def play(self, clips: Sequence[Pcm]) -> None:
        """Queue clips back to back (replacing what plays); emits `PlaybackDone`."""

    async def stop_playback(self) -> None:
        """Stop the current playback; emits `PlaybackDone(interrupted=True)`."""

    async def start_recording(self, request: RecordRequest) -> None:
        """Record the far end; emits `RecordingDone`."""

    async def stop_recording(self) -> None: ...

    async def hangup(self, reason: str = "normal") -> None:
        """End the call from our side. No event follows."""

    def listen_for_digits(self, on: bool) -> None:
        """Whether a key pressed now can matter (see the module docstring).

        Switching on must catch a key pressed from that moment (a detector may
        use audio heard just before it); switching off forgets a half-heard one.
        """

    async def next_event(self) -> ChannelEvent:
        """The next event, in order. Blocks until one arrives."""


@runtime_checkable
class ForwardingChannel(Protocol):
    """Optional channel commands: a second leg bridged to this one (the Forward node)."""

    async def forward(self, request: ForwardRequest) -> None:
        """Call `request.to`; later emits `LegAnswered` then `BridgeEnded`, or `LegFailed`."""

    async def stop_forward(self, reason: str) -> None:
        """Cancel the ringing leg (CANCEL) or end the bridged one (BYE). No event follows."""


@dataclass(frozen=True, slots=True)
class BridgeRecording:
    """A bridged conversation, recorded: `audio` is (n, 2) int16, the callee left and
    the agent right; `leg` is `ForwardRequest.leg`."""

    leg: int
    audio: Pcm
    duration_ms: int


@runtime_checkable
class BridgeRecordingChannel(Protocol):
    """Optional: a forwarding channel that recorded its bridges."""

    def take_bridge_recordings(self) -> list[BridgeRecording]:
        """The recordings of the bridges ended since the last call (each given once)."""
