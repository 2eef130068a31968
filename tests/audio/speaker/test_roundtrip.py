"""Property: reading the speaker's keys back gives the number, in every language,
with the full system dictionaries and with minimal ones.

`value_of` is an independent reader of key sequences (the inverse of the
rules, not of the implementation): numbers add up within a group, "hundred"
multiplies the group so far, a scale noun closes the group; French "4" "20"
is quatre-vingts; an Arabic scale noun right after و counts 1 (dual: 2).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringcast.audio import load_system_dictionary, number_to_keys
from ringcast.audio.speaker.base import MAX_VALUE

SCALE = {"thousand": 1000, "million": 10**6, "billion": 10**9}


def value_of(keys: Sequence[str], language: str) -> int:
    total, group, previous = 0, 0, ""
    sign = 1
    for key in keys:
        if key == "minus":
            sign = -1
        elif key.isdigit() or key == "200_construct":
            value = int(key.split("_")[0])
            if language == "fr" and value == 20 and previous == "4":
                group += 80 - 4
            elif language == "ar" and value == 100 and previous.isdigit() and int(previous) < 10:
                group += 100 * int(previous) - int(previous)
            else:
                group += value
        elif key in ("hundred", "hundreds"):
            hundreds = group % 100 or 1
            group = group - group % 100 + hundreds * 100
        elif key.split("_")[0].rstrip("s") in SCALE:
            scale = SCALE[key.split("_")[0].rstrip("s")]
            count = group
            if key.endswith("_dual"):
                count = group + 2
            elif previous == "and" or group == 0:
                count = group + 1
            total += count * scale
            group = 0
        elif key != "and":
            raise AssertionError(f"unexpected key {key!r}")
        previous = key
    return sign * (total + group)


def minimal(language: str) -> frozenset[str]:
    """Only the keys a language cannot compose."""
    system = load_system_dictionary(language).key_set
    drop = {
        str(n) for n in range(17 if language == "fr" else 20, 100) if n % 10 or n in (70, 80, 90)
    }
    drop |= {str(h * 100) for h in range(1 if language != "ar" else 2, 10)}
    if language == "fr":
        drop -= {"20", "30", "40", "50", "60"}
    if language == "ar":
        drop -= {str(t) for t in range(20, 100, 10)}
    if language == "en":
        drop -= {str(t) for t in range(20, 100, 10)}
    return system - drop


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
@given(n=st.integers(min_value=0, max_value=MAX_VALUE) | st.integers(min_value=0, max_value=2000))
def test_system_dictionary_says_every_number(language: str, n: int) -> None:
    keys = number_to_keys(n, "full", language, load_system_dictionary(language).key_set)
    assert value_of(keys, language) == n


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
@given(n=st.integers(min_value=-MAX_VALUE, max_value=MAX_VALUE))
def test_minimal_dictionary_says_every_number(language: str, n: int) -> None:
    available = minimal(language)
    keys = number_to_keys(n, "full", language, available)
    assert set(keys) <= available
    assert value_of(keys, language) == n


def test_minimal_dictionaries_really_are_smaller() -> None:
    assert "71" not in minimal("fr") and "23" not in minimal("ar") and "300" not in minimal("ar")
