"""The number speaker: values → dictionary keys, per language.

Pure functions over a set of available keys (see `base.py` for the key naming
scheme and the largest-key-first fallback). Results are cached per
(value, mode, language, key set), so resolving the same Play item on every
call costs a dictionary lookup; pass the same `frozenset` each time (a
`ClipDictionary` keeps one) to keep the cache key cheap to hash.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from ringcast.audio.errors import InvalidValueError, UnsupportedLanguageError
from ringcast.audio.speaker.ar import ArabicSpeaker
from ringcast.audio.speaker.base import MAX_VALUE, MissingError, Speaker, missing, parse_number
from ringcast.audio.speaker.dates import DateValue, parse_date
from ringcast.audio.speaker.en import BritishSpeaker, EnglishSpeaker
from ringcast.audio.speaker.fr import FrenchSpeaker

NumberMode = Literal["full", "digits"]
NumberValue = int | float | Decimal | str

SPEAKERS: dict[str, type[Speaker]] = {
    "en": EnglishSpeaker,
    "en-gb": BritishSpeaker,
    "fr": FrenchSpeaker,
    "ar": ArabicSpeaker,
}
LANGUAGES = frozenset(SPEAKERS)


def normalize_language(language: str) -> str:
    """'fr-FR', 'FR', 'ar_MA', 'en-GB' → 'fr', 'fr', 'ar', 'en-gb'.

    A region counts only when it has its own speaker (en-GB says "and")."""
    full = language.strip().lower().replace("_", "-")
    if full in SPEAKERS:
        return full
    code = full.split("-")[0]
    if code not in SPEAKERS:
        raise UnsupportedLanguageError(
            f"no number speaker for language {language!r} (have: {', '.join(sorted(SPEAKERS))})"
        )
    return code


def _as_text(value: NumberValue) -> str:
    if isinstance(value, bool):
        raise InvalidValueError(f"{value!r} is not a number")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _keyset(available: Collection[str]) -> frozenset[str]:
    return available if isinstance(available, frozenset) else frozenset(available)


@lru_cache(maxsize=8192)
def _number_keys(
    text: str, mode: NumberMode, language: str, available: frozenset[str]
) -> tuple[str, ...]:
    speaker = SPEAKERS[language](available)
    try:
        if mode == "digits":
            return tuple(speaker.digits(text))
        if mode != "full":
            raise InvalidValueError(f"unknown number mode {mode!r} (full or digits)")
        return tuple(speaker.full(parse_number(text)))
    except MissingError as exc:
        raise missing(exc, language, text) from None


def number_to_keys(
    value: NumberValue, mode: NumberMode, language: str, available_keys: Collection[str]
) -> tuple[str, ...]:
    """Dictionary keys that say `value`.

    `mode` "full" reads the number (1523 → one thousand five hundred twenty
    three), "digits" reads each character ("0612" → zero six one two; pass a
    string to keep leading zeros). Raises `InvalidValueError` (not a number,
    over 999,999,999,999), `MissingKeyError` (names the key the dictionary lacks),
    `UnsupportedLanguageError`.
    """
    return _number_keys(
        _as_text(value), mode, normalize_language(language), _keyset(available_keys)
    )


@lru_cache(maxsize=4096)
def _date_keys(
    day: int, month: int, year: int, language: str, available: frozenset[str]
) -> tuple[str, ...]:
    try:
        return tuple(SPEAKERS[language](available).date(day, month, year))
    except MissingError as exc:
        raise missing(exc, language, f"{year:04d}-{month:02d}-{day:02d}") from None


def date_to_keys(
    value: DateValue, language: str, available_keys: Collection[str]
) -> tuple[str, ...]:
    """Keys for a date: day, month name, year in the language's order."""
    date = parse_date(value)
    return _date_keys(
        date.day, date.month, date.year, normalize_language(language), _keyset(available_keys)
    )


__all__ = [
    "LANGUAGES",
    "MAX_VALUE",
    "NumberMode",
    "NumberValue",
    "date_to_keys",
    "normalize_language",
    "number_to_keys",
    "parse_date",
]
