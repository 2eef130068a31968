"""Audio items → clip requests: read each item's value and check its shape.

A Play node's items name values (a balance, a due date) through ValueSources;
the interpreter reads them here so that a `Play` action carries concrete values
and the clip resolver (audio library + store, injected into the runner) needs
nothing from the run. An unusable value gives an error code instead (the node
then takes `onError`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from ringcast.audio.requests import ClipRequest, PlayFile, SayDate, SayNumber, SayWord
from ringcast.flow.conditions import as_text, classify
from ringcast.flow.context import MISSING
from ringcast.flow.values import AudioFileItem, AudioItem, NumberItem, ValueSource, WordItem

_DIGITS_RE = re.compile(r"^\+?\d+$")


def build_clips(
    items: Sequence[AudioItem], read: Callable[[ValueSource], Any]
) -> tuple[ClipRequest, ...] | str:
    """The clip requests, or an error code (`value_not_a_number`, `value_not_a_date`)."""
    out: list[ClipRequest] = []
    for item in items:
        if isinstance(item, AudioFileItem):
            out.append(PlayFile(item.audioId))
        elif isinstance(item, WordItem):
            out.append(SayWord(item.word, item.language, item.dictionaryId))
        elif isinstance(item, NumberItem):
            text = number_text(read(item.value), item.mode)
            if text is None:
                return "value_not_a_number"
            out.append(SayNumber(text, item.mode, item.language, item.dictionaryId))
        else:
            day = date_of(read(item.value))
            if day is None:
                return "value_not_a_date"
            out.append(SayDate(day, item.language, item.dictionaryId))
    return tuple(out)


def number_text(value: Any, mode: str) -> str | None:
    """A number's text for Say Number, or None if `value` is not a number.
    In `digits` mode a string of digits keeps its leading zeros and `+`."""
    if value is MISSING or value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return as_text(value)
    if isinstance(value, str):
        text = value.strip()
        if mode == "digits" and _DIGITS_RE.match(text):
            return text
        kind, number = classify(text)
        return as_text(number) if kind == "number" else None
    return None


def date_of(value: Any) -> date | None:
    """The calendar date (as written, zone ignored) for Say Date, or None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return None
    return None
