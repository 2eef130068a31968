"""Where export rows go: a CSV file (spreadsheet-safe cells) or an XLSX
workbook written row by row (xlsxwriter's constant-memory mode)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

from ringcast.kit.csvsafe import SafeWriter

ExportFormat = Literal["csv", "xlsx"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class RowWriter(Protocol):
    def write(self, row: Sequence[object]) -> None: ...

    def close(self) -> None: ...


class CsvRowWriter:
    def __init__(self, path: Path) -> None:
        # utf-8-sig: spreadsheets then read accents and Arabic names right
        self._file = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = SafeWriter(self._file)

    def write(self, row: Sequence[object]) -> None:
        self._writer.writerow(row)

    def close(self) -> None:
        self._file.close()


class XlsxRowWriter:
    """Text cells are written as strings, never formulas, whatever they start with."""

    def __init__(self, path: Path) -> None:
        import xlsxwriter  # type: ignore[import-untyped]

        self._book = xlsxwriter.Workbook(
            str(path), {"constant_memory": True, "strings_to_formulas": False}
        )
        self._sheet = self._book.add_worksheet("export")
        self._row = 0

    def write(self, row: Sequence[object]) -> None:
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                self._sheet.write_number(self._row, col, value)
            else:
                self._sheet.write_string(self._row, col, str(value))
        self._row += 1

    def close(self) -> None:
        self._book.close()


def open_writer(path: Path, fmt: ExportFormat) -> RowWriter:
    return XlsxRowWriter(path) if fmt == "xlsx" else CsvRowWriter(path)
