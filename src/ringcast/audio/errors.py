"""Errors raised by the audio engine.

Every error carries `reason`, a sentence a person can read (the HTTP layer puts
it in the response `message`). The tree::

    AudioError
    ├── AudioDecodeError            the bytes cannot become telephony audio
    │   ├── UnsupportedAudioError   not audio, or a format we do not take (415)
    │   ├── CorruptAudioError       a known format, but truncated or damaged (415)
    │   ├── EmptyAudioError         decodes to zero samples (400)
    │   └── AudioTooLongError       longer, or larger decoded, than allowed (413)
    └── SpeakerError                a value cannot be said with a dictionary
        ├── InvalidValueError       not a number/date, or out of range
        ├── UnsupportedLanguageError no speaker for that language
        └── MissingKeyError         the dictionary lacks a key the value needs
"""

from __future__ import annotations


class AudioError(Exception):
    """Root of the audio engine's errors."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AudioDecodeError(AudioError):
    """The input could not be turned into 8 kHz mono PCM."""


class UnsupportedAudioError(AudioDecodeError):
    """Not audio, or a container/codec ringcast does not accept."""


class CorruptAudioError(AudioDecodeError):
    """A supported format whose content is truncated or damaged."""


class EmptyAudioError(AudioDecodeError):
    """The file holds no audio samples."""


class AudioTooLongError(AudioDecodeError):
    """Decoding passed a limit (duration, decoded bytes, memory or time): stopped there."""


class SpeakerError(AudioError):
    """A number, date or word cannot be turned into dictionary keys."""


class InvalidValueError(SpeakerError):
    """The value is not a number/date, or is outside what the speaker says."""


class UnsupportedLanguageError(SpeakerError):
    """No number speaker exists for the language asked."""


class MissingKeyError(SpeakerError):
    """The dictionary has no clip for a key the value needs."""

    def __init__(self, key: str, language: str, value: object = None) -> None:
        what = f" to say {value!r}" if value is not None else ""
        super().__init__(f"dictionary ({language}) has no clip for key {key!r}{what}")
        self.key = key
        self.language = language
        self.value = value
