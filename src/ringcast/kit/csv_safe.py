"""Spreadsheet-safe CSV cells (OWASP "CSV injection").

A cell a spreadsheet would read as a formula — one starting with `=`, `+`,
`-`, `@`, a tab or a carriage return — is written with a leading single
quote, which spreadsheets show as text. A plain number (`+33612345678`,
`-12.5`) is left alone: it is no formula, and phone numbers stay exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(values: Iterable[object]) -> list[object]:
    return [safe_cell(v) for v in values]
