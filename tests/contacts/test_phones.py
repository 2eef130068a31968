"""Every phone rule in the FAQ, and the codes that say which rule failed."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringcast.contacts.phones import phone_problem


@pytest.mark.parametrize("phone", ["+212612345678", "+14155551234", "+442071234567"])
def test_faq_valid_numbers(phone):
    assert phone_problem(phone) is None


@pytest.mark.parametrize(
    ("phone", "code", "hint"),
    [
        ("06-12-34-56-78", "e164_format", "dashes"),
        ("0612345678", "e164_format", "country code"),
        ("+212 612345678", "e164_format", "spaces"),
        ("+212-612-345-678", "e164_format", "dashes"),
        ("+1 (415) 555-1234", "e164_format", "brackets"),
        ("212612345678", "e164_format", "country code"),
        ("+2126123456789012345", "e164_format", "15 digits"),
        ("", "e164_format", ""),
        ("+212612345678x", "e164_format", "digits only"),
        ("+999123456789", "invalid_country_code", ""),
        ("+21261234", "invalid_number", "MA"),
        ("+14155", "invalid_number", "US"),
        ("+4402071234567", "invalid_number", "GB"),
    ],
)
def test_faq_rejected_numbers_say_which_rule(phone, code, hint):
    problem = phone_problem(phone)
    assert problem is not None
    assert problem.code == code
    assert hint in problem.message


def _reference(text: str) -> bool:
    """The slow definition: parse, validate, and round-trip to the same E.164 string."""
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return False
    return (
        text.startswith("+")
        and phonenumbers.is_valid_number(number)
        and phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == text
    )


# deadline off: phonenumbers loads a region's metadata on first use (up to ~1 s)
@settings(deadline=None)
@given(st.text(alphabet="+0123456789 -", max_size=18))
def test_agrees_with_phonenumbers_on_any_input(text):
    """The shortcut (no parse) accepts exactly what the reference accepts."""
    assert (phone_problem(text) is None) == _reference(text)


# single-region codes, shared ones (NANPA, MA/EH, GB/GG/IM/JE, RU/KZ, IT/VA, AU/CC/CX,
# NO/SJ, RE/YT, GP/BL/MF) and a non-geographic one (800)
CODES = ["212", "1", "33", "44", "49", "39", "91", "7", "61", "47", "262", "590", "800"]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(CODES), st.integers(0, 10**11))
def test_agrees_with_phonenumbers_on_random_digits(cc, national):
    text = f"+{cc}{national}"
    assert (phone_problem(text) is None) == _reference(text)
