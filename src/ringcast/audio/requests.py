"""The clip vocabulary: what to say, with concrete values — one set of types for everyone.

The flow engine turns a node's audio items (the graph's JSON, whose values are
`ValueSource`s: `ringcast.flow.values`) into these by reading each value
(`ringcast.flow.clips`); a `Play` action carries them; the clip resolver
(`ringcast.audio.resolve`, behind `audiofiles.library.ClipLibrary`) turns them
into PCM. Nothing converts between look-alike types on the way.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringcast.audio.speaker import NumberMode, NumberValue
from ringcast.audio.speaker.dates import DateValue


@dataclass(frozen=True, slots=True)
class PlayFile:
    """An uploaded audio file."""

    audio_id: str


@dataclass(frozen=True, slots=True)
class SayNumber:
    """A number; the flow gives its text (`"1523"`, `"12.5"`; in `digits` mode
    leading zeros and a leading `+` are kept). `dictionary_id` None = the system one."""

    value: NumberValue
    mode: NumberMode = "full"
    language: str = "fr"
    dictionary_id: str | None = None


@dataclass(frozen=True, slots=True)
class SayDate:
    """A calendar date (a `date`, or an ISO-8601 string)."""

    value: DateValue
    language: str = "fr"
    dictionary_id: str | None = None


@dataclass(frozen=True, slots=True)
class SayWord:
    """One dictionary key (`dirhams`); `language` None = the resolver's default."""

    word: str
    language: str | None = None
    dictionary_id: str | None = None


ClipRequest = PlayFile | SayNumber | SayDate | SayWord
