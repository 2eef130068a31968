"""Resolve a Play node's clip requests (`ringcast.audio.requests`) into one clip, at call time.

Requests arrive with their `value` already resolved (the flow engine evaluated
the ValueSource). Each becomes clips: `PlayFile` through the injected
audio lookup, `number`/`date` through the cached number speaker and the
injected dictionary lookup, `SayWord` as one dictionary key. The clips are joined
once (`join_clips`: faded joints, no clicks). Everything is preloaded memory;
the per-call cost is the speaker cache hit, a few dict lookups and one copy of
the samples (see bench/audio.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ringcast.audio.clip import Clip
from ringcast.audio.dictionary import ClipDictionary, load_system_dictionary
from ringcast.audio.errors import InvalidValueError, MissingKeyError
from ringcast.audio.join import join_clips
from ringcast.audio.requests import ClipRequest, PlayFile, SayDate, SayNumber, SayWord
from ringcast.audio.speaker import date_to_keys, normalize_language, number_to_keys

DictionaryLookup = Callable[[str | None, str], Mapping[str, Clip]]
"""(dictionary_id or None for the system one, language) → key→clip map."""
AudioLookup = Callable[[str], Clip]
"""audio id → clip (preloaded telephony form)."""


def system_dictionaries(dictionary_id: str | None, language: str) -> Mapping[str, Clip]:
    """A `DictionaryLookup` serving only the built-in dictionaries."""
    if dictionary_id is not None:
        raise KeyError(f"unknown dictionary {dictionary_id!r}")
    return load_system_dictionary(language)


def audio_item_from_dict(data: Mapping[str, Any]) -> ClipRequest:
    """A request from an audio item's API JSON shape, "value" already resolved to a scalar."""
    kind = data.get("type")
    dictionary_id = data.get("dictionaryId")
    if kind == "audioFile":
        return PlayFile(audio_id=str(data["audioId"]))
    if kind == "number":
        return SayNumber(
            value=data["value"],
            mode=data.get("mode", "full"),
            language=data.get("language", "fr"),
            dictionary_id=dictionary_id,
        )
    if kind == "date":
        return SayDate(
            value=data["value"], language=data.get("language", "fr"), dictionary_id=dictionary_id
        )
    if kind == "word":
        return SayWord(
            word=str(data["word"]), dictionary_id=dictionary_id, language=data.get("language")
        )
    raise InvalidValueError(f"unknown audio item type {kind!r}")


def _keys(dictionary: Mapping[str, Clip]) -> frozenset[str]:
    return dictionary.key_set if isinstance(dictionary, ClipDictionary) else frozenset(dictionary)


def item_clips(
    item: ClipRequest,
    *,
    dictionaries: DictionaryLookup,
    audio_files: AudioLookup,
    default_language: str = "fr",
) -> list[Clip]:
    """The clips one item plays, in order."""
    if isinstance(item, PlayFile):
        return [audio_files(item.audio_id)]
    if isinstance(item, SayWord):
        language = normalize_language(item.language or default_language)
        dictionary = dictionaries(item.dictionary_id, language)
        if item.word not in dictionary:
            raise MissingKeyError(item.word, language)
        return [dictionary[item.word]]
    language = normalize_language(item.language)
    dictionary = dictionaries(item.dictionary_id, language)
    if isinstance(item, SayNumber):
        keys = number_to_keys(item.value, item.mode, language, _keys(dictionary))
    else:
        keys = date_to_keys(item.value, language, _keys(dictionary))
    return [dictionary[key] for key in keys]


def resolve_clips(
    items: Sequence[ClipRequest],
    *,
    dictionaries: DictionaryLookup = system_dictionaries,
    audio_files: AudioLookup,
    default_language: str = "fr",
) -> list[Clip]:
    """All items' clips, in order, not yet joined."""
    clips: list[Clip] = []
    for item in items:
        clips += item_clips(
            item,
            dictionaries=dictionaries,
            audio_files=audio_files,
            default_language=default_language,
        )
    return clips


def resolve_play(
    items: Sequence[ClipRequest],
    *,
    dictionaries: DictionaryLookup = system_dictionaries,
    audio_files: AudioLookup,
    default_language: str = "fr",
    fade_ms: int = 4,
    gap_ms: int = 0,
) -> Clip:
    """One click-free clip for a Play node's items (hand `clip.pcm` to `Channel.play`)."""
    clips = resolve_clips(
        items, dictionaries=dictionaries, audio_files=audio_files, default_language=default_language
    )
    return join_clips(clips, fade_ms=fade_ms, gap_ms=gap_ms)
