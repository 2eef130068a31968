"""Dates for `date` audio items: day, month name, year.

Accepts `datetime.date`/`datetime.datetime` or ISO text ("2024-03-05",
"2024-03-05T10:00:00Z" — the date part as written, no zone conversion: the
value was produced for the callee's calendar day).
"""

from __future__ import annotations

import datetime as dt

from ringcast.audio.errors import InvalidValueError

DateValue = dt.date | str


def parse_date(value: DateValue) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) > 10 else dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidValueError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None
