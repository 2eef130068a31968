"""Play items → one joined clip, with injected lookups (fakes, no storage)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from ringcast.audio import (
    Clip,
    ClipDictionary,
    ClipRequest,
    MissingKeyError,
    PlayFile,
    SayDate,
    SayNumber,
    SayWord,
    audio_item_from_dict,
    load_system_dictionary,
    resolve_clips,
    resolve_play,
)


def tone(samples: int, level: int) -> Clip:
    return Clip(np.full(samples, level, dtype=np.int16))


# A custom dictionary whose clips are recognisable by their length in samples.
CUSTOM = ClipDictionary("en", {"1": tone(101, 1000), "5": tone(105, 1000), "20": tone(120, 1000),
                               "3": tone(103, 1000), "hundred": tone(200, 1000),
                               "thousand": tone(300, 1000), "dirhams": tone(400, 1000)})  # fmt: skip
AUDIO = {"welcome": tone(800, 500)}


def dictionaries(dictionary_id: str | None, language: str) -> Mapping[str, Clip]:
    if dictionary_id == "custom":
        return CUSTOM
    assert dictionary_id is None
    return load_system_dictionary(language)


def audio_files(audio_id: str) -> Clip:
    return AUDIO[audio_id]


def test_custom_dictionary_number_and_word() -> None:
    items: list[ClipRequest] = [
        PlayFile("welcome"),
        SayNumber(1523, "full", "en", "custom"),
        SayWord("dirhams", dictionary_id="custom"),
    ]
    clips = resolve_clips(items, dictionaries=dictionaries, audio_files=audio_files)
    assert [len(c) for c in clips] == [800, 101, 300, 105, 200, 120, 103, 400]
    joined = resolve_play(items, dictionaries=dictionaries, audio_files=audio_files, gap_ms=5)
    assert len(joined) == sum(len(c) for c in clips) + 7 * 40


def test_system_dictionary_when_id_is_null() -> None:
    fr = load_system_dictionary("fr")
    items: list[ClipRequest] = [
        SayNumber("21", "full", "fr"),
        SayDate("2024-05-01", "fr"),
        SayWord("euros", language="fr"),
    ]
    clips = resolve_clips(items, audio_files=audio_files)
    expected = ["20", "and", "1", "ord_1", "month_5", "2", "thousand", "20", "4", "euros"]
    assert clips == [fr[k] for k in expected]


def test_missing_word_names_the_key() -> None:
    with pytest.raises(MissingKeyError) as err:
        resolve_play(
            [SayWord("yen", dictionary_id="custom")],
            dictionaries=dictionaries,
            audio_files=audio_files,
        )
    assert err.value.key == "yen"


def test_items_from_api_shape() -> None:
    assert audio_item_from_dict({"type": "audioFile", "audioId": "a1"}) == PlayFile("a1")
    assert audio_item_from_dict(
        {
            "type": "number",
            "value": "0612",
            "mode": "digits",
            "language": "ar",
            "dictionaryId": None,
        }
    ) == SayNumber("0612", "digits", "ar", None)
    assert audio_item_from_dict(
        {"type": "word", "word": "dirhams", "dictionaryId": "d1"}
    ) == SayWord("dirhams", dictionary_id="d1")
    assert audio_item_from_dict(
        {"type": "date", "value": "2024-01-02", "language": "en", "dictionaryId": None}
    ) == SayDate("2024-01-02", "en")
