"""Spreadsheet-safe CSV cells (OWASP "CSV injection").

A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-`, `@`
(or a tab or carriage return before one of them) as a formula. Every text cell
we write that starts with one of those characters gets a leading single quote,
which spreadsheets show as text and never evaluate. Numbers we produce
ourselves (ints, floats) are written as they are: `-3` from us is a number,
not a formula. One rule for every CSV ringcast writes: use `safe_cell` /
`csv_line` / `SafeWriter`, never `csv.writer` on raw values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """`value` as a CSV cell: None → "", text that could be a formula → quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


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
