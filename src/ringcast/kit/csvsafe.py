"""Spreadsheet-safe CSV cells (OWASP "CSV injection").

A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-`, `@`
(or a tab or carriage return before one of them) as a formula. Every text cell
we write that starts with one of those characters gets a leading single quote
(except a bare E.164 number, `+` and digits, kept exact),
which spreadsheets show as text and never evaluate. Numbers we produce
ourselves (ints, floats) are written as they are: `-3` from us is a number,
not a formula. One rule for every CSV ringcast writes: use `safe_cell` /
`csv_line` / `SafeWriter`, never `csv.writer` on raw values.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# a whole cell that is an E.164 number ("+" and digits) is no formula a
# spreadsheet can abuse, and phone numbers must stay exact to be used again
E164 = re.compile(r"\+\d{1,15}")


def safe_cell(value: object) -> object:
    """`value` as a CSV cell: None → "", text that could be a formula → quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not E164.fullmatch(text):
        return "'" + text
    return text


def safe_row(values: Iterable[object]) -> list[object]:
    return [safe_cell(v) for v in values]


def csv_line(values: Iterable[object]) -> str:
    """One CSV line (with its `\\r\\n`) of spreadsheet-safe cells."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(safe_row(values))
    return buffer.getvalue()


class SafeWriter:
    """`csv.writer` over a text file whose rows go through `safe_cell`."""

    def __init__(self, file: Any) -> None:
        self._writer = csv.writer(file)

    def writerow(self, values: Iterable[object]) -> None:
        self._writer.writerow(safe_row(values))
