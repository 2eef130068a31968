"""Condition evaluation with typed comparison.

Each side is classified before comparing:

- numbers: int/float (not bool), or a string that is a plain decimal
  (`"1523"`, `"-3.5"`) — compared as numbers, so `"10" > "9"`;
- dates: a string starting `YYYY-MM-DD` that parses as ISO-8601 — compared as
  instants (a date alone is midnight UTC, a naive time is UTC);
- booleans (also the strings `"true"`/`"false"` when the other side is a bool);
- null, lists (e.g. `channels`), and other strings (case-sensitive).

`eq`/`neq` across different kinds are simply unequal. Ordering (`gt, lt, gte,
lte`) needs both sides of the same kind among number, date, string; anything
else (`"abc" > 3`, a null) cannot be compared. `contains, startsWith, endsWith`
work on the text of both sides (numbers in their canonical form); `contains` on
a list tests membership with `eq`. A missing value (`MISSING`) on either side,
or a comparison that cannot be made, raises `ConditionError` → `onError`.
Groups evaluate left to right and short-circuit (`and` stops at the first
false, `or` at the first true): a later comparison that would fail is not made.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from ringcast.flow.context import MISSING
from ringcast.flow.values import StrictModel, ValueSource

_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")


# ---- the expression model (a condition node's config) ---------------------------

Operator = Literal["eq", "neq", "gt", "lt", "gte", "lte", "contains", "startsWith", "endsWith"]


class Comparison(StrictModel):
    left: ValueSource
    operator: Operator
    right: ValueSource


class ConditionGroup(StrictModel):
    logic: Literal["and", "or"]
    conditions: list[ConditionExpr] = Field(min_length=1)


def _condition_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "group" if "logic" in value or "conditions" in value else "comparison"
    return "group" if isinstance(value, ConditionGroup) else "comparison"


ConditionExpr = Annotated[
    Annotated[Comparison, Tag("comparison")] | Annotated[ConditionGroup, Tag("group")],
    Discriminator(_condition_kind),
]
ConditionGroup.model_rebuild()


class ConditionError(Exception):
    """A comparison that cannot be made; `code` is recorded in the trace."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def evaluate(expr: ConditionExpr, read: Callable[[ValueSource], Any]) -> bool:
    """Evaluate a condition; `read` resolves a ValueSource (may return MISSING)."""
    if isinstance(expr, ConditionGroup):
        if expr.logic == "and":
            return all(evaluate(c, read) for c in expr.conditions)
        return any(evaluate(c, read) for c in expr.conditions)
    assert isinstance(expr, Comparison)
    return compare(expr.operator, read(expr.left), read(expr.right))


def compare(operator: str, left: Any, right: Any) -> bool:
    if left is MISSING or right is MISSING:
        raise ConditionError("value_missing", "a compared value does not exist")
    if operator in ("contains", "startsWith", "endsWith"):
        return _text_op(operator, left, right)
    lk, lv = classify(left)
    rk, rv = classify(right)
    if lk == "bool" and rk == "string" and rv in ("true", "false"):
        rk, rv = "bool", rv == "true"
    elif rk == "bool" and lk == "string" and lv in ("true", "false"):
        lk, lv = "bool", lv == "true"
    if operator in ("eq", "neq"):
        equal = lk == rk and lv == rv
        return equal if operator == "eq" else not equal
    if lk != rk or lk not in ("number", "date", "string"):
        raise ConditionError("not_comparable", f"cannot order a {lk} and a {rk} with {operator}")
    if operator == "gt":
        return bool(lv > rv)
    if operator == "lt":
        return bool(lv < rv)
    if operator == "gte":
        return bool(lv >= rv)
    if operator == "lte":
        return bool(lv <= rv)
    raise ConditionError("unknown_operator", f"unknown operator {operator!r}")


def classify(value: Any) -> tuple[str, Any]:
    """(kind, comparable value) — kinds: number, date, bool, null, list, string."""
    if value is None:
        return "null", None
    if isinstance(value, bool):
        return "bool", value
    if isinstance(value, int | float):
        return "number", value
    if isinstance(value, datetime):
        return "date", _aware(value)
    if isinstance(value, date):
        return "date", datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, list | tuple):
        return "list", list(value)
    if isinstance(value, str):
        if _NUMBER_RE.match(value):
            return "number", parse_number(value)
        if _DATE_RE.match(value):
            parsed = parse_date(value)
            if parsed is not None:
                return "date", parsed
        return "string", value
    return "string", str(value)


def parse_number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def parse_date(text: str) -> datetime | None:
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        return _aware(datetime.fromisoformat(text))
    except ValueError:
        return None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def as_text(value: Any) -> str:
    """The text form used by contains/startsWith/endsWith and by Say Number."""
    if value is None or value is MISSING:
        raise ConditionError("not_comparable", "a null value has no text")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple | dict):
        raise ConditionError("not_comparable", "a list has no text")
    return str(value)


def _text_op(operator: str, left: Any, right: Any) -> bool:
    if operator == "contains" and isinstance(left, list | tuple):
        return any(compare("eq", item, right) for item in left)
    lt, rt = as_text(left), as_text(right)
    if operator == "contains":
        return rt in lt
    if operator == "startsWith":
        return lt.startswith(rt)
    return lt.endswith(rt)
