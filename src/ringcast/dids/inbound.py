"""Which DID an inbound call is for: the Request-URI's number in any format a trunk uses.

Carriers write the called number as +E.164, E.164 without the `+`, with the `00`
international prefix, in national format (the country's trunk prefix, e.g. `0` in
France, or none), and some put a tech prefix in front. `dialed_matches` compares
digits: the DID's E.164 digits against the dialed ones (tech prefix removed), or its
national significant number against the dialed digits without their trunk prefix.
"""

from __future__ import annotations

import re

import phonenumbers
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.dids.models import Did
from ringcast.dids.repository import DidRepository

_NON_DIGITS = re.compile(r"\D")


def dialed_digits(dialed: str, tech_prefix: str | None = None) -> str:
    """The dialed number's digits, the trunk's tech prefix taken off."""
    user = dialed.split(";", 1)[0].strip()
    if tech_prefix and user.startswith(tech_prefix):
        user = user[len(tech_prefix) :]
    return _NON_DIGITS.sub("", user)


def dialed_matches(digits: str, number: str) -> bool:
    """Whether dialed `digits` (see `dialed_digits`) name the E.164 `number`."""
    e164 = number.lstrip("+")
    if not digits or not e164:
        return False
    if digits in (e164, "00" + e164, "011" + e164):
        return True
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    national = str(parsed.national_number)
    region = phonenumbers.region_code_for_number(parsed) or ""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    trunk = meta.national_prefix if meta is not None and meta.national_prefix else ""
    return digits in (national, trunk + national)


async def find_inbound_did(
    session: AsyncSession, organization_id: str, dialed: str, tech_prefix: str | None = None
) -> Did | None:
    """The organization's active DID the dialed number names (E.164 form first)."""
    digits = dialed_digits(dialed, tech_prefix)
    dids = await DidRepository(session).active(organization_id)
    exact = [d for d in dids if d.number.lstrip("+") == digits]
    return next(iter(exact), None) or next(
        (d for d in dids if dialed_matches(digits, d.number)), None
    )
