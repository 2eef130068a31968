"""Strict E.164 phone validation.

Theory of operation: a phone is accepted when (1) it is shaped like E.164 —
`+`, a non-zero digit, at most 15 digits, nothing else — and (2) libphonenumber
says it is a valid number for the country its calling code names. Rule (1) is
a regex; each failure gets its own code so a client can tell the user what to
fix (`e164_format` with a hint, `invalid_country_code`, `invalid_number`).

For rule (2) the number is built directly from its digits instead of going
through `phonenumbers.parse`: parse is written for free-form user input
(punctuation, national prefixes to strip, extensions) and costs ~26 µs, while
the direct build + `is_valid_number` costs ~10 µs and, for an input that is
already E.164, checks exactly the number written (parse may strip what it takes
for a trunk prefix and validate a different number). Numbers whose national
part starts with 0 (Italian-style leading zeros) go through parse and must
round-trip to the same E.164 string. `is_valid_number` itself then tests the
number against up to eleven number-type patterns in a fixed order only to
return its type; validity needs just "some type matches", so `_is_valid`
asks the same question of the same region and patterns: per region and
national-number length, the types whose possible lengths allow it are joined
into one compiled alternation (two regex calls per number, no Python loop).
Results are memoised: imports repeat numbers, and the check is pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers

_E164_RE = re.compile(r"^\+[1-9][0-9]{1,14}$")
_CODE_OF = {str(cc): cc for cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}
# every type `phonenumbers._number_type_helper` tests, likeliest first
_TYPES = (
    "mobile",
    "fixed_line",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)
_Desc = tuple[frozenset[int], re.Pattern[str]]


def _desc(desc: Any) -> _Desc | None:
    """(possible lengths, compiled pattern) of a PhoneNumberDesc, as the library reads it."""
    if desc is None or not desc.national_number_pattern:
        return None
    return frozenset(desc.possible_length), re.compile(desc.national_number_pattern)


@lru_cache(maxsize=512)
def _region_patterns(country_code: int, region: str) -> tuple[_Desc | None, list[_Desc]] | None:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None:
        return None
    types = [d for d in (_desc(getattr(metadata, t)) for t in _TYPES) if d is not None]
    return _desc(metadata.general_desc), types


@lru_cache(maxsize=8192)
def _length_check(country_code: int, region: str, length: int) -> Callable[[str], bool]:
    """Validity test for national numbers of one length in one region: the
    general pattern, then the type patterns whose possible lengths allow this
    length, joined into one alternation (fullmatch of `A|B` ≡ A or B matches
    whole; the patterns use no backreferences or inline flags). Two regex
    calls instead of a Python loop over up to ten types."""
    patterns = _region_patterns(country_code, region)
    if patterns is None:
        return _never
    general, types = patterns
    if general is None or (general[0] and length not in general[0]):
        return _never
    alternatives = [p.pattern for lengths, p in types if not lengths or length in lengths]
    if not alternatives:
        return _never
    any_type = re.compile("|".join(f"(?:{a})" for a in alternatives)).fullmatch
    general_match = general[1].fullmatch
    return lambda nsn: general_match(nsn) is not None and any_type(nsn) is not None


def _never(_nsn: str) -> bool:
    return False


@lru_cache(maxsize=512)
def _leading_digits(region: str) -> re.Pattern[str] | None:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
    if metadata is None or metadata.leading_digits is None:
        return None
    return re.compile(metadata.leading_digits)


def _valid_in(country_code: int, region: str, nsn: str) -> bool:
    return _length_check(country_code, region.upper(), len(nsn))(nsn)


def _is_valid(country_code: int, nsn: str) -> bool:
    """Same answer as `phonenumbers.is_valid_number` for a number without
    leading zeros: pick the region as `region_code_for_number` does (the only
    one; else the first whose leading digits match or that has a matching
    type), then ask whether any type pattern of that region matches."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[country_code]
    if len(regions) == 1:
        return _valid_in(country_code, regions[0], nsn)
    for region in regions:
        leading = _leading_digits(region)
        if leading is not None:
            if leading.match(nsn):
                return _valid_in(country_code, region, nsn)
        elif _valid_in(country_code, region, nsn):
            return True
    return False


@dataclass(frozen=True, slots=True)
class PhoneProblem:
    code: str
    message: str


def _format_problem(value: str) -> PhoneProblem:
    if any(c in value for c in " -.()/"):
        hint = "remove spaces, dashes, dots and brackets"
    elif not value.startswith("+"):
        hint = "start with + and the country code (e.g. +212612345678, not 0612345678)"
    elif len(value) > 16:
        hint = "E.164 numbers have at most 15 digits"
    else:
        hint = "use + followed by digits only"
    return PhoneProblem("e164_format", f"Phone number must be in E.164 format: {hint}")


@lru_cache(maxsize=65_536)
def phone_problem(value: str) -> PhoneProblem | None:
    """None when `value` is a valid E.164 number, else which rule failed."""
    if not _E164_RE.match(value):
        return _format_problem(value)
    digits = value[1:]
    # calling codes are prefix-free: at most one of the 1-3 digit prefixes is one
    country_code = _CODE_OF.get(digits[:1]) or _CODE_OF.get(digits[:2]) or _CODE_OF.get(digits[:3])
    if country_code is None:
        return PhoneProblem("invalid_country_code", f"{value} has no known country calling code")
    national = digits[len(str(country_code)) :]
    if not national:
        return PhoneProblem("invalid_number", f"{value} is not a valid phone number")
    if national.startswith("0"):
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            number = None
        valid = (
            number is not None
            and phonenumbers.is_valid_number(number)
            and phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == value
        )
    else:
        valid = _is_valid(country_code, national)
    if not valid:
        region = phonenumbers.region_code_for_country_code(country_code)
        return PhoneProblem(
            "invalid_number", f"{value} is not a valid phone number for country {region}"
        )
    return None
