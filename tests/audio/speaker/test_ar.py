"""Arabic golden tests (Modern Standard Arabic, masculine counting forms, nominative).

Native-rule review:
- 11 أحد عشر, 12 اثنا عشر, 13-19 "<unit> عشر".
- 21-99: the unit first, then و and the tens: 23 ثلاثة وعشرون.
- hundreds are single words: مئة، مئتان، ثلاثمئة ... تسعمئة; parts joined with و.
- the thousand/million/billion noun agrees with the last two digits of its
  count: 1 → ألف, 2 → ألفان (dual), 3-10 → ثلاثة آلاف (plural), 11-99 → أحد
  عشر ألفًا (accusative singular), round hundreds → مئة ألف; 101 → مئة وألف.
- decimals: فاصلة then the fraction as a number; negatives: ناقص.
Comparison drops short-vowel marks (tanween included): ألفًا reads "ألفا".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pytest

from ringcast.audio import MissingKeyError, number_to_keys

Spoken = Callable[[Sequence[str], Mapping[str, str]], str]  # fixtures from conftest.py
Normal = Callable[[str], str]

UNITS = ["صفر", "واحد", "اثنان", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة", "عشرة"]
TEENS = [
    "أحد عشر", "اثنا عشر", "ثلاثة عشر", "أربعة عشر", "خمسة عشر",
    "ستة عشر", "سبعة عشر", "ثمانية عشر", "تسعة عشر",
]  # fmt: skip
TENS = ["عشرون", "ثلاثون", "أربعون", "خمسون", "ستون", "سبعون", "ثمانون", "تسعون"]
HUNDREDS = ["مئة", "مئتان", "ثلاثمئة", "أربعمئة", "خمسمئة", "ستمئة", "سبعمئة", "ثمانمئة", "تسعمئة"]


def spelled_under_100(n: int) -> str:
    """From the rule, independently of the speaker: unit و tens."""
    if n <= 10:
        return UNITS[n]
    if n < 20:
        return TEENS[n - 11]
    tens, unit = divmod(n, 10)
    return TENS[tens - 2] if unit == 0 else f"{UNITS[unit]} و{TENS[tens - 2]}"


BIG = {
    100: "مئة",
    101: "مئة وواحد",
    110: "مئة وعشرة",
    199: "مئة وتسعة وتسعون",
    200: "مئتان",
    201: "مئتان وواحد",
    999: "تسعمئة وتسعة وتسعون",
    1000: "ألف",
    1001: "ألف وواحد",
    1523: "ألف وخمسمئة وثلاثة وعشرون",
    2000: "ألفان",
    3000: "ثلاثة آلاف",
    10000: "عشرة آلاف",
    11000: "أحد عشر ألفًا",
    21000: "واحد وعشرون ألفًا",
    80000: "ثمانون ألفًا",
    100000: "مئة ألف",
    200000: "مئتا ألف",
    200000000: "مئتا مليون",
    300000: "ثلاثمئة ألف",
    101000: "مئة وألف",
    102000: "مئة وألفان",
    103000: "مئة وثلاثة آلاف",
    1000000: "مليون",
    2000000: "مليونان",
    2500000: "مليونان وخمسمئة ألف",
    5000000: "خمسة ملايين",
    123456789: "مئة وثلاثة وعشرون مليونًا وأربعمئة وستة وخمسون ألفًا وسبعمئة وتسعة وثمانون",
    1000000000: "مليار",
    3000000000: "ثلاثة مليارات",
}
DECIMALS = {
    "-12.50": "ناقص اثنا عشر فاصلة خمسون",
    "3.05": "ثلاثة فاصلة صفر خمسة",
    "-5": "ناقص خمسة",
}

WORDS = {str(i): spelled_under_100(i) for i in range(20)}
WORDS |= {str(20 + 10 * i): w for i, w in enumerate(TENS)}
WORDS |= {str(100 * (i + 1)): w for i, w in enumerate(HUNDREDS)}
for name, forms in {
    "thousand": ("ألف", "ألفان", "آلاف", "ألفًا"),
    "million": ("مليون", "مليونان", "ملايين", "مليونًا"),
    "billion": ("مليار", "ملياران", "مليارات", "مليارًا"),
}.items():
    WORDS |= dict(zip((name, f"{name}_dual", f"{name}s", f"{name}_acc"), forms, strict=True))
WORDS |= {"and": "و", "point": "فاصلة", "minus": "ناقص", "200_construct": "مئتا"}
MINIMAL = frozenset(WORDS)


@pytest.mark.parametrize("n", range(101))
def test_zero_to_hundred(n: int, spoken: Spoken, normal: Normal) -> None:
    expected = "مئة" if n == 100 else spelled_under_100(n)
    assert spoken(number_to_keys(n, "full", "ar", MINIMAL), WORDS) == normal(expected)


@pytest.mark.parametrize(("n", "spelled"), BIG.items())
def test_large_numbers(n: int, spelled: str, spoken: Spoken, normal: Normal) -> None:
    assert spoken(number_to_keys(n, "full", "ar", MINIMAL), WORDS) == normal(spelled)


@pytest.mark.parametrize(("value", "spelled"), DECIMALS.items())
def test_decimals_and_negatives(value: str, spelled: str, spoken: Spoken, normal: Normal) -> None:
    assert spoken(number_to_keys(value, "full", "ar", MINIMAL), WORDS) == normal(spelled)


def test_key_sequences_show_the_rules() -> None:
    assert number_to_keys(23, "full", "ar", MINIMAL) == ("3", "and", "20")
    assert number_to_keys(2000, "full", "ar", MINIMAL) == ("thousand_dual",)
    assert number_to_keys(11000, "full", "ar", MINIMAL) == ("11", "thousand_acc")
    assert number_to_keys(3000, "full", "ar", MINIMAL) == ("3", "thousands")


def test_partial_dictionary_fallbacks() -> None:
    assert number_to_keys(200000, "full", "ar", MINIMAL - {"200_construct"}) == ("200", "thousand")
    # no ثلاثمئة clip: ثلاث مئة from "3" + "100"; no accusative: the plain ألف clip
    keys = MINIMAL - {"300", "thousand_acc"}
    assert number_to_keys(300, "full", "ar", keys) == ("3", "100")
    assert number_to_keys(11000, "full", "ar", keys) == ("11", "thousand")


def test_missing_plural_is_named() -> None:
    with pytest.raises(MissingKeyError) as err:
        number_to_keys(3000, "full", "ar", MINIMAL - {"thousands"})
    assert err.value.key == "thousands"


SystemWords = Callable[[str], dict[str, str]]


@pytest.mark.parametrize("n", [*range(101), *BIG])
def test_system_dictionary_clips_say_it(
    n: int, spoken: Spoken, normal: Normal, system_words: SystemWords
) -> None:
    """The shipped clips' texts, chained, say the number as spelled."""
    words = system_words("ar")
    keys = number_to_keys(n, "full", "ar", frozenset(words))
    expected = BIG[n] if n in BIG else "مئة" if n == 100 else spelled_under_100(n)
    assert spoken(keys, words) == normal(expected)


def test_arabic_indic_digits_are_numbers() -> None:
    assert number_to_keys("٠٦١٢", "digits", "ar", MINIMAL) == ("0", "6", "1", "2")
    assert number_to_keys("١٥٢٣", "full", "ar", MINIMAL) == number_to_keys(
        1523, "full", "ar", MINIMAL
    )
