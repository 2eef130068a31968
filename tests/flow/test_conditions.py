"""Condition operators and typed comparison rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringcast.flow.conditions import ConditionError, classify, compare, evaluate
from ringcast.flow.context import MISSING
from ringcast.flow.graph import NODE_ADAPTER, ConditionNode


@pytest.mark.parametrize(
    ("op", "left", "right", "expected"),
    [
        ("eq", 5, 5, True),
        ("eq", 5, 6, False),
        ("neq", 5, 6, True),
        ("neq", "a", "a", False),
        ("gt", 10, 9, True),
        ("gt", 9, 9, False),
        ("lt", 1, 2, True),
        ("lt", 2, 1, False),
        ("gte", 3, 3, True),
        ("gte", 2, 3, False),
        ("lte", 3, 3, True),
        ("lte", 4, 3, False),
        ("contains", "hello world", "lo w", True),
        ("contains", "hello", "xyz", False),
        ("startsWith", "+212612345678", "+212", True),
        ("startsWith", "+33612345678", "+212", False),
        ("endsWith", "report.pdf", ".pdf", True),
        ("endsWith", "report.pdf", ".doc", False),
    ],
)
def test_each_operator(op: str, left: Any, right: Any, expected: bool) -> None:
    assert compare(op, left, right) is expected


@pytest.mark.parametrize(
    ("op", "left", "right", "expected"),
    [
        ("gt", "10", "9", True),  # numeric strings compare as numbers, not text
        ("eq", "1523", 1523, True),
        ("eq", "1523.0", 1523, True),
        ("lt", -3.5, "2", True),
        ("gt", "2026-12-01", "2026-11-30", True),  # ISO dates as dates
        ("eq", "2026-12-01", "2026-12-01T00:00:00Z", True),
        ("lt", "2026-12-01T10:00:00+02:00", "2026-12-01T09:00:00Z", True),
        ("eq", date(2026, 1, 2), "2026-01-02", True),
        ("gt", datetime(2026, 1, 2, 1, tzinfo=UTC), "2026-01-02", True),
        ("eq", "Rabat", "rabat", False),  # strings are case-sensitive
        ("lt", "Apple", "apple", True),
        ("eq", True, "true", True),
        ("eq", False, "true", False),
        ("eq", None, None, True),
        ("eq", "abc", 3, False),  # different kinds are unequal, not an error
        ("neq", "abc", 3, True),
        ("contains", ["voice", "sms"], "sms", True),
        ("contains", ["voice"], "sms", False),
        ("contains", 1523, 52, True),  # text of the number
        ("startsWith", 12.0, "12", True),
    ],
)
def test_typed_comparison(op: str, left: Any, right: Any, expected: bool) -> None:
    assert compare(op, left, right) is expected


@pytest.mark.parametrize(
    ("op", "left", "right"),
    [
        ("gt", "abc", 3),
        ("lt", 3, "2026-01-01"),
        ("gte", None, 1),
        ("gt", True, False),
        ("lt", ["a"], ["b"]),
        ("eq", MISSING, 1),
        ("contains", MISSING, "x"),
        ("startsWith", None, "x"),
        ("startsWith", ["a"], "a"),
    ],
)
def test_uncomparable_raises(op: str, left: Any, right: Any) -> None:
    with pytest.raises(ConditionError):
        compare(op, left, right)


def test_classify_kinds() -> None:
    assert classify("42") == ("number", 42)
    assert classify("4.5") == ("number", 4.5)
    assert classify("2026-02-30")[0] == "string"  # not a real date
    assert classify("+212600") == ("number", 212600)
    assert classify([1])[0] == "list"


def condition(config: dict[str, Any]) -> ConditionNode:
    parsed = NODE_ADAPTER.validate_python({"id": "c", "type": "condition", "config": config})
    assert isinstance(parsed, ConditionNode)
    return parsed


def lit(v: Any) -> dict[str, Any]:
    return {"source": "literal", "value": v}


def cmp(left: Any, op: str, right: Any) -> dict[str, Any]:
    return {"left": lit(left), "operator": op, "right": lit(right)}


def run(config: dict[str, Any]) -> bool:
    return evaluate(condition(config).config, lambda src: src.value)  # type: ignore[union-attr]


def test_nested_groups() -> None:
    config = {
        "logic": "and",
        "conditions": [
            cmp(5, "gt", 1),
            {"logic": "or", "conditions": [cmp("a", "eq", "b"), cmp("x", "startsWith", "x")]},
        ],
    }
    assert run(config) is True
    config["conditions"][1]["conditions"][1] = cmp("x", "eq", "y")  # type: ignore[index]
    assert run(config) is False


def test_groups_short_circuit_before_an_uncomparable_comparison() -> None:
    bad = cmp("abc", "gt", 3)
    assert run({"logic": "and", "conditions": [cmp(1, "eq", 2), bad]}) is False
    assert run({"logic": "or", "conditions": [cmp(1, "eq", 1), bad]}) is True
    with pytest.raises(ConditionError):
        run({"logic": "and", "conditions": [cmp(1, "eq", 1), bad]})


@given(st.integers(), st.integers())
def test_number_ordering_matches_python_as_numbers_or_text(a: int, b: int) -> None:
    assert compare("gt", a, b) is (a > b)
    assert compare("gt", str(a), str(b)) is (a > b)
    assert compare("lte", a, str(b)) is (a <= b)
    assert compare("eq", a, b) is not compare("neq", a, b)


@given(st.dates(), st.dates())
def test_date_ordering_matches_calendar(a: date, b: date) -> None:
    assert compare("lt", a.isoformat(), b.isoformat()) is (a < b)
