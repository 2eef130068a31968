"""System dictionaries: present, complete for the speakers, small, consistent with the manifest."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from ringcast.audio import (
    ClipDictionary,
    UnsupportedLanguageError,
    date_to_keys,
    load_system_dictionary,
    number_to_keys,
)
from ringcast.audio.speaker import NumberMode

LANGUAGES = ["fr", "ar", "en"]
NEEDED = {"0", "1", "9", "10", "11", "19", "20", "90", "thousand", "million", "billion", "and"}
NEEDED |= {"point", "minus", "plus"} | {f"month_{m}" for m in range(1, 13)}
NEEDED |= {f"weekday_{d}" for d in range(1, 8)} | {"dirhams", "euros", "dollars", "centimes"}


def folder(language: str):  # type: ignore[no-untyped-def]
    return resources.files("ringcast").joinpath("assets", "dictionaries", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_manifest_matches_files(language: str) -> None:
    manifest = json.loads(folder(language).joinpath("manifest.json").read_text("utf-8"))
    assert manifest["encoding"] == "ulaw" and manifest["sample_rate"] == 8000
    dictionary = load_system_dictionary(language)
    assert isinstance(dictionary, ClipDictionary)
    assert set(dictionary) == set(manifest["entries"])
    for key, entry in manifest["entries"].items():
        clip = dictionary[key]
        assert clip.duration_ms == entry["duration_ms"]
        assert 150 <= clip.duration_ms <= 2000, key  # trimmed speech, not silence
        peak = int(np.max(np.abs(clip.pcm.astype(np.int32))))
        assert peak > 8000, key  # normalised, audible


@pytest.mark.parametrize("language", LANGUAGES)
def test_has_the_keys_the_issue_lists(language: str) -> None:
    assert load_system_dictionary(language).key_set >= NEEDED


def test_language_specific_forms() -> None:
    assert {
        "hundreds",
        "millions",
        "billions",
        "ord_1",
        "71",
        "80",
        "99",
    } <= load_system_dictionary("fr").key_set
    ar = load_system_dictionary("ar").key_set
    assert {
        "200",
        "300",
        "thousand_dual",
        "thousands",
        "thousand_acc",
        "million_dual",
        "millions",
    } <= ar
    assert {"hundred", "oh", "ord_31"} <= load_system_dictionary("en").key_set


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_date_of_a_year_and_sample_numbers_resolve(language: str) -> None:
    keys = load_system_dictionary(language).key_set
    for day in range(1, 32):
        for month in (1, 3, 12):
            assert date_to_keys(f"2031-{month:02d}-{day:02d}", language, keys)
    for value in (0, 7, 77, 777, 7777, 77777, 777777, 7777777, "-3.14", "0612"):
        mode: NumberMode = "digits" if value == "0612" else "full"
        assert set(number_to_keys(value, mode, language, keys)) <= keys


def test_total_size_is_small() -> None:
    total = sum(
        entry.stat().st_size if hasattr(entry, "stat") else len(entry.read_bytes())
        for language in LANGUAGES
        for entry in folder(language).iterdir()
    )
    assert total < 2.5 * 1024 * 1024


def test_language_variants_and_unknown() -> None:
    assert load_system_dictionary("fr-FR") is load_system_dictionary("fr")
    with pytest.raises(UnsupportedLanguageError):
        load_system_dictionary("de")
