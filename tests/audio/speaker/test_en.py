"""English golden tests (American reading, no "and" inside numbers).

Native-rule review: 0-19 are words of their own; 21-99 are "<tens>-<unit>";
hundreds are always counted ("one hundred", never bare "hundred"); scale
words (thousand, million, billion) take no plural; decimals are read digit by
digit after "point" ("twelve point five zero").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringcast.audio import (
    InvalidValueError,
    MissingKeyError,
    NumberMode,
    SpeakerError,
    number_to_keys,
)

Spoken = Callable[[Sequence[str], Mapping[str, str]], str]  # fixtures from conftest.py
Normal = Callable[[str], str]

UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spelled_under_100(n: int) -> str:
    """Written here from the rule, independently of the speaker: tens-unit."""
    if n < 20:
        return UNITS[n]
    tens, unit = divmod(n, 10)
    return TENS[tens - 2] + (f"-{UNITS[unit]}" if unit else "")


BIG = {
    100: "one hundred",
    101: "one hundred one",
    110: "one hundred ten",
    199: "one hundred ninety-nine",
    200: "two hundred",
    201: "two hundred one",
    999: "nine hundred ninety-nine",
    1000: "one thousand",
    1001: "one thousand one",
    1523: "one thousand five hundred twenty-three",
    2000: "two thousand",
    21000: "twenty-one thousand",
    80000: "eighty thousand",
    100000: "one hundred thousand",
    1000000: "one million",
    2500000: "two million five hundred thousand",
    123456789: (
        "one hundred twenty-three million four hundred fifty-six thousand seven hundred eighty-nine"
    ),
    999999999999: (
        "nine hundred ninety-nine billion nine hundred ninety-nine million"
        " nine hundred ninety-nine thousand nine hundred ninety-nine"
    ),
}
DECIMALS = {
    "12.50": "twelve point five zero",
    "-12.50": "minus twelve point five zero",
    "0.05": "zero point zero five",
    -7: "minus seven",
    3.25: "three point two five",
}

WORDS = {str(i): w for i, w in enumerate(UNITS)} | {str(20 + 10 * i): w for i, w in enumerate(TENS)}
WORDS |= {"hundred": "hundred", "thousand": "thousand", "million": "million"}
WORDS |= {"billion": "billion", "minus": "minus", "point": "point"}
MINIMAL = frozenset(WORDS)


@pytest.mark.parametrize("n", range(101))
def test_zero_to_hundred(n: int, spoken: Spoken, normal: Normal) -> None:
    expected = "one hundred" if n == 100 else spelled_under_100(n)
    assert spoken(number_to_keys(n, "full", "en", MINIMAL), WORDS) == normal(expected)


@pytest.mark.parametrize(("n", "spelled"), BIG.items())
def test_large_numbers(n: int, spelled: str, spoken: Spoken, normal: Normal) -> None:
    assert spoken(number_to_keys(n, "full", "en", MINIMAL), WORDS) == normal(spelled)


@pytest.mark.parametrize(("value", "spelled"), DECIMALS.items())
def test_decimals_and_negatives(
    value: str | int | float, spelled: str, spoken: Spoken, normal: Normal
) -> None:
    assert spoken(number_to_keys(value, "full", "en", MINIMAL), WORDS) == normal(spelled)


def test_api_example_and_largest_keys_first() -> None:
    # API.md: 1523 → "1","thousand","5","hundred","20","3" (or "500","23" when present)
    assert number_to_keys(1523, "full", "en", MINIMAL) == (
        "1",
        "thousand",
        "5",
        "hundred",
        "20",
        "3",
    )
    with_500 = MINIMAL | {"500", "23"}
    assert number_to_keys(1523, "full", "en", with_500) == ("1", "thousand", "500", "23")
    assert number_to_keys(523, "full", "en", with_500 | {"523"}) == ("523",)
    assert number_to_keys(2024, "full", "en", MINIMAL | {"2024"}) == ("2024",)


def test_missing_key_names_the_basic_key() -> None:
    with pytest.raises(MissingKeyError) as err:
        number_to_keys(523, "full", "en", MINIMAL - {"hundred"})
    assert err.value.key == "hundred"
    assert err.value.language == "en"
    with pytest.raises(MissingKeyError) as err:
        number_to_keys(-1, "full", "en", MINIMAL - {"minus"})
    assert err.value.key == "minus"


def test_digits_mode_keeps_leading_zeros() -> None:
    assert number_to_keys("0612", "digits", "en", MINIMAL) == ("0", "6", "1", "2")
    assert number_to_keys("06 12-34", "digits", "en", MINIMAL) == ("0", "6", "1", "2", "3", "4")
    assert number_to_keys("+33", "digits", "en", MINIMAL | {"plus"}) == ("plus", "3", "3")
    assert number_to_keys(905, "digits", "en", MINIMAL) == ("9", "0", "5")


@pytest.mark.parametrize("value", ["abc", "", "1e400", "12..5", 10**12, "-1000000000000", True])
def test_invalid_values(value: object) -> None:
    with pytest.raises(InvalidValueError):
        number_to_keys(value, "full", "en", MINIMAL)  # type: ignore[arg-type]


def test_digits_mode_rejects_letters() -> None:
    with pytest.raises(InvalidValueError):
        number_to_keys("12a", "digits", "en", MINIMAL)


SystemWords = Callable[[str], dict[str, str]]


@pytest.mark.parametrize("n", [*range(101), *BIG])
def test_system_dictionary_clips_say_it(
    n: int, spoken: Spoken, normal: Normal, system_words: SystemWords
) -> None:
    """The shipped clips' texts, chained, say the number as spelled."""
    words = system_words("en")
    keys = number_to_keys(n, "full", "en", frozenset(words))
    expected = BIG[n] if n in BIG else "one hundred" if n == 100 else spelled_under_100(n)
    assert spoken(keys, words) == normal(expected)


# British English: "and" before the last part under a hundred.
BRITISH = {
    101: "one hundred and one",
    115: "one hundred and fifteen",
    1001: "one thousand and one",
    1100: "one thousand one hundred",
    1523: "one thousand five hundred and twenty-three",
    2000005: "two million and five",
    123456789: (
        "one hundred and twenty-three million four hundred and fifty-six thousand"
        " seven hundred and eighty-nine"
    ),
}


@pytest.mark.parametrize(("n", "spelled"), BRITISH.items())
def test_british_and(n: int, spelled: str, spoken: Spoken, normal: Normal) -> None:
    words = WORDS | {"and": "and"}
    assert spoken(number_to_keys(n, "full", "en-GB", frozenset(words)), words) == normal(spelled)
    # the same dictionary in American English never says "and"
    assert "and" not in number_to_keys(n, "full", "en-US", frozenset(words))


@pytest.mark.parametrize(
    ("text", "same_as"),
    [("1,523", 1523), ("1 523", 1523), ("1,523,000", 1523000), ("+7", 7), ("-0", 0), ("007", 7)],
)
def test_number_text_forms(text: str, same_as: int) -> None:
    assert number_to_keys(text, "full", "en", MINIMAL) == number_to_keys(
        same_as, "full", "en", MINIMAL
    )


def test_single_comma_is_a_decimal_comma() -> None:
    assert number_to_keys("3,5", "full", "en", MINIMAL) == number_to_keys(
        "3.5", "full", "en", MINIMAL
    )


def test_superscripts_are_not_digits() -> None:
    with pytest.raises(InvalidValueError):
        number_to_keys("12²", "digits", "en", MINIMAL)


@given(text=st.text(max_size=30) | st.from_regex(r"[-+]?[0-9,. ]{1,20}", fullmatch=True))
def test_any_text_is_said_or_refused_cleanly(text: str) -> None:
    modes: tuple[NumberMode, ...] = ("full", "digits")
    for mode in modes:
        try:
            keys = number_to_keys(text, mode, "en", MINIMAL | {"plus"})
        except SpeakerError:
            continue
        assert keys and set(keys) <= MINIMAL | {"plus"}
