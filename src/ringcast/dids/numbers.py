"""DID numbers: the shape the API accepts and whether libphonenumber agrees."""

from __future__ import annotations

import re

import phonenumbers

from ringcast.errors import FieldIssue

# API.md: a DID is E.164-shaped, "+" and 3 to 20 digits (Gomobile's rule), not checked
# against libphonenumber's numbering plans (that is the contacts' rule): `numberValid`
# says whether libphonenumber agrees.
DID_NUMBER = re.compile(r"^\+[0-9]{3,20}$")


def number_issues(number: str, country: str) -> list[FieldIssue]:
    if not DID_NUMBER.match(number):
        return [
            FieldIssue("number", "e164", f"{number} is not E.164-shaped (+ and 3 to 20 digits)")
        ]
    code = phonenumbers.country_code_for_region(country)
    if code == 0:
        return [FieldIssue("country", "unknown_country", f"{country} is not a known country")]
    if not number[1:].startswith(str(code)):
        actual = _region_of(number)
        return [
            FieldIssue(
                "country",
                "country_mismatch",
                f"{number} is not a number of {country} (+{code})",
                {"expected": actual} if actual else {},
            )
        ]
    return []


def _region_of(number: str) -> str | None:
    digits = number[1:]
    for size in (1, 2, 3):
        region = phonenumbers.region_code_for_country_code(int(digits[:size]))
        if region != phonenumbers.UNKNOWN_REGION:
            return str(region)
    return None


def number_valid(number: str, country: str) -> bool:
    """Whether libphonenumber knows `number` as a valid number of `country`."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number_for_region(parsed, country))


def shape_problem(number: str) -> str | None:
    """None when `number` is E.164-shaped, else why not (didPool items)."""
    if DID_NUMBER.match(number):
        return None
    return f"{number} is not E.164-shaped (+ and 3 to 20 digits)"
