"""Dates: day, month name, year in each language's order.

en "March fifth, twenty twenty-four" (month, ordinal day, year in pairs);
fr "premier mars deux mille vingt-quatre" (1er is ordinal, other days cardinal);
ar "خمسة مارس ألفان وأربعة وعشرون" (day, month, year as a cardinal).
"""

from __future__ import annotations

import datetime as dt

import pytest

from ringcast.audio import InvalidValueError, MissingKeyError, date_to_keys, load_system_dictionary


def keys(language: str) -> frozenset[str]:
    return load_system_dictionary(language).key_set


def test_english_month_ordinal_day_and_year_pairs() -> None:
    assert date_to_keys("2024-03-05", "en", keys("en")) == ("month_3", "ord_5", "20", "20", "4")
    assert date_to_keys(dt.date(1999, 12, 31), "en", keys("en")) == (
        "month_12", "ord_31", "19", "90", "9",
    )  # fmt: skip
    assert date_to_keys("2005-01-01", "en", keys("en"))[-3:] == ("2", "thousand", "5")
    assert date_to_keys("1905-01-01", "en", keys("en"))[-3:] == ("19", "oh", "5")


def test_english_falls_back_to_cardinal_day() -> None:
    available = keys("en") - {"ord_5"}
    assert date_to_keys("2024-03-05", "en", available)[:2] == ("month_3", "5")


def test_french_first_of_month_is_ordinal() -> None:
    assert date_to_keys("2024-03-01", "fr", keys("fr")) == (
        "ord_1", "month_3", "2", "thousand", "20", "4",
    )  # fmt: skip
    assert date_to_keys("2024-03-21", "fr", keys("fr"))[:4] == ("20", "and", "1", "month_3")


def test_arabic_day_month_year() -> None:
    assert date_to_keys("2024-03-05T10:00:00Z", "ar", keys("ar")) == (
        "5", "month_3", "thousand_dual", "and", "24",
    )  # fmt: skip


def test_bad_dates() -> None:
    with pytest.raises(InvalidValueError):
        date_to_keys("05/03/2024", "fr", keys("fr"))
    with pytest.raises(InvalidValueError):
        date_to_keys("2024-02-30", "fr", keys("fr"))


def test_missing_month_is_named() -> None:
    with pytest.raises(MissingKeyError) as err:
        date_to_keys("2024-03-05", "fr", keys("fr") - {"month_3"})
    assert err.value.key == "month_3"
