"""French golden tests: the speaker's keys, read back as the words their clips say,
must equal the number as French spells it (France usage, traditional hyphens).

Native-rule review (what each table below checks):
- 17-19: dix-sept, dix-huit, dix-neuf (10 + unit).
- "et" in 21, 31, 41, 51, 61 and 71 (soixante et onze), never in 81/91
  (quatre-vingt-un, quatre-vingt-onze).
- 70-79 = soixante + 10..19; 80 = quatre-vingts; 90-99 = quatre-vingt + 10..19.
- cent (never "un cent"); deux cents with s when final; deux cent un; deux cent
  mille (no s before mille); trois cents millions (s before the noun million).
- mille (never "un mille"), invariable: deux mille; vingt et un mille.
- un million, deux millions; un milliard, deux milliards.
Spoken comparison: the plural s of "quatre-vingts" is not heard (no liaison
before a consonant), so it is normalised away; "cents" stays distinct from
"cent" because it has its own key ("hundreds").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pytest

from ringcast.audio import MissingKeyError, number_to_keys

Spoken = Callable[[Sequence[str], Mapping[str, str]], str]  # fixtures from conftest.py
Normal = Callable[[str], str]

ZERO_TO_HUNDRED = """
zéro un deux trois quatre cinq six sept huit neuf
dix onze douze treize quatorze quinze seize dix-sept dix-huit dix-neuf
vingt|vingt et un|vingt-deux|vingt-trois|vingt-quatre|vingt-cinq|vingt-six|vingt-sept|vingt-huit|vingt-neuf
trente|trente et un|trente-deux|trente-trois|trente-quatre|trente-cinq|trente-six|trente-sept|trente-huit|trente-neuf
quarante|quarante et un|quarante-deux|quarante-trois|quarante-quatre|quarante-cinq|quarante-six|quarante-sept|quarante-huit|quarante-neuf
cinquante|cinquante et un|cinquante-deux|cinquante-trois|cinquante-quatre|cinquante-cinq|cinquante-six|cinquante-sept|cinquante-huit|cinquante-neuf
soixante|soixante et un|soixante-deux|soixante-trois|soixante-quatre|soixante-cinq|soixante-six|soixante-sept|soixante-huit|soixante-neuf
soixante-dix|soixante et onze|soixante-douze|soixante-treize|soixante-quatorze|soixante-quinze|soixante-seize|soixante-dix-sept|soixante-dix-huit|soixante-dix-neuf
quatre-vingts|quatre-vingt-un|quatre-vingt-deux|quatre-vingt-trois|quatre-vingt-quatre|quatre-vingt-cinq|quatre-vingt-six|quatre-vingt-sept|quatre-vingt-huit|quatre-vingt-neuf
quatre-vingt-dix|quatre-vingt-onze|quatre-vingt-douze|quatre-vingt-treize|quatre-vingt-quatorze|quatre-vingt-quinze|quatre-vingt-seize|quatre-vingt-dix-sept|quatre-vingt-dix-huit|quatre-vingt-dix-neuf
cent
"""


def _table() -> list[str]:
    lines = ZERO_TO_HUNDRED.strip().splitlines()
    spelled = lines[0].split() + lines[1].split()
    for line in lines[2:]:
        spelled += line.split("|")
    return spelled


SPELLED_0_100 = _table()
assert len(SPELLED_0_100) == 101

BIG = {
    101: "cent un",
    110: "cent dix",
    171: "cent soixante et onze",
    180: "cent quatre-vingts",
    199: "cent quatre-vingt-dix-neuf",
    200: "deux cents",
    201: "deux cent un",
    280: "deux cent quatre-vingts",
    999: "neuf cent quatre-vingt-dix-neuf",
    1000: "mille",
    1001: "mille un",
    1100: "mille cent",
    1523: "mille cinq cent vingt-trois",
    2000: "deux mille",
    21000: "vingt et un mille",
    71000: "soixante et onze mille",
    80000: "quatre-vingt mille",
    100000: "cent mille",
    200000: "deux cent mille",
    1000000: "un million",
    2000000: "deux millions",
    2500000: "deux millions cinq cent mille",
    300000000: "trois cents millions",
    123456789: "cent vingt-trois millions quatre cent cinquante-six mille sept cent quatre-vingt-neuf",
    1000000000: "un milliard",
    2000000000: "deux milliards",
    999999999999: (
        "neuf cent quatre-vingt-dix-neuf milliards neuf cent quatre-vingt-dix-neuf millions"
        " neuf cent quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf"
    ),
}

# Decimals: the usual French reading, fraction as a number ("virgule cinquante").
DECIMALS = {
    "-12.50": "moins douze virgule cinquante",
    "12,5": "douze virgule cinq",
    "3.05": "trois virgule zéro cinq",
    "-0.5": "moins zéro virgule cinq",
    "-21": "moins vingt et un",
}

# A minimal dictionary: only what French cannot compose (no 17-19, no 70/80/90).
WORDS = {str(i): w for i, w in enumerate(SPELLED_0_100[:17])} | {
    "20": "vingt", "30": "trente", "40": "quarante", "50": "cinquante", "60": "soixante",
    "and": "et", "hundred": "cent", "hundreds": "cents", "thousand": "mille",
    "million": "million", "millions": "millions", "billion": "milliard", "billions": "milliards",
    "minus": "moins", "point": "virgule",
}  # fmt: skip
MINIMAL = frozenset(WORDS)


def _heard(spelled: str, normal: Normal) -> str:
    return normal(spelled).replace("vingts", "vingt")


@pytest.mark.parametrize("n", range(101))
def test_zero_to_hundred_minimal_dictionary(n: int, spoken: Spoken, normal: Normal) -> None:
    keys = number_to_keys(n, "full", "fr", MINIMAL)
    assert _heard(spoken(keys, WORDS), normal) == _heard(SPELLED_0_100[n], normal)


@pytest.mark.parametrize(("n", "spelled"), BIG.items())
def test_large_numbers(n: int, spelled: str, spoken: Spoken, normal: Normal) -> None:
    keys = number_to_keys(n, "full", "fr", MINIMAL)
    assert _heard(spoken(keys, WORDS), normal) == _heard(spelled, normal)


@pytest.mark.parametrize(("value", "spelled"), DECIMALS.items())
def test_decimals_and_negatives(value: str, spelled: str, spoken: Spoken, normal: Normal) -> None:
    keys = number_to_keys(value, "full", "fr", MINIMAL)
    assert _heard(spoken(keys, WORDS), normal) == _heard(spelled, normal)


def test_key_sequences_show_the_rules() -> None:
    assert number_to_keys(21, "full", "fr", MINIMAL) == ("20", "and", "1")
    assert number_to_keys(71, "full", "fr", MINIMAL) == ("60", "and", "11")
    assert number_to_keys(81, "full", "fr", MINIMAL) == ("4", "20", "1")
    assert number_to_keys(1000, "full", "fr", MINIMAL) == ("thousand",)
    assert number_to_keys(200, "full", "fr", MINIMAL) == ("2", "hundreds")
    assert number_to_keys(200000, "full", "fr", MINIMAL) == ("2", "hundred", "thousand")


def test_larger_keys_win_when_present() -> None:
    keys = MINIMAL | {"80", "71", "500", "23"}
    assert number_to_keys(81, "full", "fr", keys) == ("80", "1")
    assert number_to_keys(71, "full", "fr", keys) == ("71",)
    assert number_to_keys(1523, "full", "fr", keys) == ("thousand", "500", "23")


def test_missing_connector_is_named() -> None:
    with pytest.raises(MissingKeyError) as err:
        number_to_keys(21, "full", "fr", MINIMAL - {"and"})
    assert err.value.key == "and"
    assert "'and'" in err.value.reason


def test_plural_hundreds_falls_back_to_singular_clip() -> None:
    assert number_to_keys(300, "full", "fr", MINIMAL - {"hundreds"}) == ("3", "hundred")


SystemWords = Callable[[str], dict[str, str]]


@pytest.mark.parametrize("n", [*range(101), *BIG])
def test_system_dictionary_clips_say_it(
    n: int, spoken: Spoken, normal: Normal, system_words: SystemWords
) -> None:
    """The shipped clips' texts, chained, say the number as spelled."""
    words = system_words("fr")
    keys = number_to_keys(n, "full", "fr", frozenset(words))
    expected = BIG[n] if n in BIG else SPELLED_0_100[n]
    # the "200" clip says "deux cents" alone; before mille it is heard as "deux cent"
    heard = _heard(spoken(keys, words), normal).replace("cents", "cent")
    assert heard == _heard(expected, normal).replace("cents", "cent")
