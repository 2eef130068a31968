"""Numbers as a trunk wants them in the Request-URI, From and P-Asserted-Identity.

`e164` (+33612345678), `e164_no_plus` (33612345678) or `national` (0612345678: the
number's own country's national format, digits only; libphonenumber's metadata),
each optionally behind a tech prefix (Request-URI only). Anything that is not an
E.164 number (a SIP URI, a short code) is left as it is.
"""

from __future__ import annotations

from typing import Literal

import phonenumbers

NumberFormat = Literal["e164", "e164_no_plus", "national"]


def format_number(number: str, fmt: NumberFormat = "e164", tech_prefix: str = "") -> str:
    if not number.startswith("+") or not number[1:].isdigit():
        return number
    if fmt == "e164_no_plus":
        out = number[1:]
    elif fmt == "national":
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException:
            out = number
        else:
            national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
            out = "".join(ch for ch in national if ch.isdigit())
    else:
        out = number
    return tech_prefix + out
