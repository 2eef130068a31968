from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from ringcast.kit.csvsafe import E164, FORMULA_STARTS, csv_line, safe_cell


def test_cells_that_a_spreadsheet_would_run_get_a_quote():
    for text in ("=SUM(A1)", "+33612345678+cmd", "-2+3", "@cmd", "\t=1", "\r=1", "+"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("+33612345678") == "+33612345678"  # a phone stays exact
    assert safe_cell("Ann") == "Ann"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell(None) == ""
    assert safe_cell(-3) == -3 and safe_cell(1.5) == 1.5
    assert safe_cell(True) == "true"


@given(st.lists(st.text(max_size=20), max_size=6))
def test_no_cell_read_back_starts_like_a_formula(values):
    [row] = list(csv.reader(io.StringIO(csv_line(values))))
    assert len(row) == len(values)
    for cell, original in zip(row, values, strict=True):
        assert not cell.startswith(FORMULA_STARTS) or E164.fullmatch(cell)
        assert cell in (original, "'" + original)
