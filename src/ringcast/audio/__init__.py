"""ringcast audio engine: decode uploads, telephony clips, dictionaries, number speaker.

Public surface (everything else is private to the package):

- `decode_audio(bytes | path) -> DecodedAudio` (`.pcm`, `.source: SourceInfo`),
  raising `UnsupportedAudioError` / `CorruptAudioError` / `EmptyAudioError`
  (all `AudioDecodeError`, all carry `.reason`); `sniff_format(bytes)`.
- `Clip` (8 kHz int16 mono `pcm`, cached `ulaw`/`alaw`, `duration_ms`,
  `to_wav()`/`from_wav()`), `read_wav`/`write_wav`, `join_clips`/`join_pcm`.
- `number_to_keys(value, mode, language, available_keys)`,
  `date_to_keys(value, language, available_keys)`.
- `ClipDictionary`, `load_system_dictionary(language)`.
- Clip requests (the one clip vocabulary, also the flow engine's): `PlayFile`,
  `SayNumber`, `SayDate`, `SayWord` (`ClipRequest`); `audio_item_from_dict`,
  `resolve_play`, `resolve_clips`, `system_dictionaries`.

Upload path for the HTTP layer: `decoded = decode_audio(path_or_bytes)` (metadata
in `decoded.source`) → `decoded.clip().to_wav()` → storage; at call time
`Clip.from_wav(stored_bytes)` (no decoding, no resampling).
"""

from ringcast.audio.clip import Clip
from ringcast.audio.decode import DecodedAudio, SourceInfo, decode_audio
from ringcast.audio.dictionary import SYSTEM_LANGUAGES, ClipDictionary, load_system_dictionary
from ringcast.audio.errors import (
    AudioDecodeError,
    AudioError,
    CorruptAudioError,
    EmptyAudioError,
    InvalidValueError,
    MissingKeyError,
    SpeakerError,
    UnsupportedAudioError,
    UnsupportedLanguageError,
)
from ringcast.audio.join import join_clips, join_pcm
from ringcast.audio.requests import ClipRequest, PlayFile, SayDate, SayNumber, SayWord
from ringcast.audio.resolve import (
    AudioLookup,
    DictionaryLookup,
    audio_item_from_dict,
    resolve_clips,
    resolve_play,
    system_dictionaries,
)
from ringcast.audio.sniff import sniff_format
from ringcast.audio.speaker import NumberMode, date_to_keys, number_to_keys
from ringcast.audio.wav import read_wav, write_wav

__all__ = [
    "SYSTEM_LANGUAGES",
    "AudioDecodeError",
    "AudioError",
    "AudioLookup",
    "Clip",
    "ClipDictionary",
    "ClipRequest",
    "CorruptAudioError",
    "DecodedAudio",
    "DictionaryLookup",
    "EmptyAudioError",
    "InvalidValueError",
    "MissingKeyError",
    "NumberMode",
    "PlayFile",
    "SayDate",
    "SayNumber",
    "SayWord",
    "SourceInfo",
    "SpeakerError",
    "UnsupportedAudioError",
    "UnsupportedLanguageError",
    "audio_item_from_dict",
    "date_to_keys",
    "decode_audio",
    "join_clips",
    "join_pcm",
    "load_system_dictionary",
    "number_to_keys",
    "read_wav",
    "resolve_clips",
    "resolve_play",
    "sniff_format",
    "system_dictionaries",
    "write_wav",
]
