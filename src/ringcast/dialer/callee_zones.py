"""The time zones a phone number may ring in, from libphonenumber, cached by prefix.

Theory of operation. `phonenumbers.timezone.time_zones_for_number` answers
from the number's type (fixed lines are placed by their longest known prefix;
mobiles and other non-geographic types get their whole country's zones) and
costs ~190 µs a number (parse + type patterns), too much for the claim path.
Its answer for a valid number depends only on a prefix: the country code
alone in a one-zone country (France, Japan), and in the others the digits up
to the longest prefix the library's time-zone table holds under that country
code (seven digits for NANP: 1 + area code + exchange), plus the number's
length (the type patterns test it). A sweep of 280k valid numbers over every
region and type found two places where the type still changes past that depth
(`_DEEPER`). So the first number seen for a (prefix, length) key is looked up
and every later number with the key reuses the answer. A number the library
cannot place (an invalid number, +800 freephone) is cached under its own
digits, so it never poisons a prefix; it gets `()`: the caller falls back to
the program's time zone.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from phonenumbers.timezone import time_zones_for_number
from phonenumbers.tzdata import TIMEZONE_DATA

UNKNOWN_ZONE = "Etc/Unknown"
MAX_CACHED = 200_000
_CODES = frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)
# measured: fixed and mobile lines part past the time-zone prefix here
_DEEPER = {"599": 7, "689": 6}


def _country_code(digits: str) -> str | None:
    for length in (1, 2, 3):  # calling codes are prefix-free
        if digits[:length] in _CODES:
            return digits[:length]
    return None


def _depths() -> dict[str, int]:
    """How many leading digits decide the answer, per country code."""
    answers: dict[str, set[tuple[str, ...]]] = {}
    longest: dict[str, int] = {}
    for prefix, zones in TIMEZONE_DATA.items():
        code = _country_code(prefix)
        if code is None:
            continue
        answers.setdefault(code, set()).add(tuple(zones))
        longest[code] = max(longest.get(code, 0), len(prefix))
    depths = {}
    for code, seen in answers.items():
        single = len(seen) == 1 and len(next(iter(seen))) == 1
        depths[code] = len(code) if single else max(longest[code], _DEEPER.get(code, 0))
    return depths


_DEPTHS = _depths()
_cache: dict[str, tuple[str, ...]] = {}


def _lookup(number: str) -> tuple[str, ...]:
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return ()
    zones = tuple(time_zones_for_number(parsed))
    return () if zones == (UNKNOWN_ZONE,) else zones


def cache_key(number: str) -> str:
    """`+` + the deciding prefix + `/` + the number's length (see the module doc)."""
    digits = number.lstrip("+")
    code = _country_code(digits)
    depth = _DEPTHS.get(code, len(digits)) if code is not None else len(digits)
    return f"{digits[:depth]}/{len(digits)}"


def zones_for_number(number: str) -> tuple[str, ...]:
    """The IANA zones an E.164 number may ring in; `()` when unknown."""
    key = cache_key(number)
    zones = _cache.get(key)
    if zones is None:
        zones = _cache.get(number)
    if zones is not None:
        return zones
    zones = _lookup(number)
    if len(_cache) >= MAX_CACHED:
        _cache.clear()  # a crude bound: real audiences use a few thousand prefixes
    _cache[key if zones else number] = zones
    return zones


def clear_cache() -> None:
    _cache.clear()


def cache_size() -> int:
    return len(_cache)
