"""What every language's number speaker shares.

Theory of operation: a speaker turns an integer into dictionary keys by trying
alternatives from the largest key to the smallest. Each alternative is a
thunk; `first()` returns the first whose keys all exist in the dictionary, so
523 becomes ["523"] when that clip exists, else ["500", "23"], else
["5", "hundred", "20", "3"]. When none works, the error of the *last* (most
decomposed) alternative wins, so it names the most basic missing key.

Key naming scheme (the same names in every language, the clip says the
language's word; a language uses the subset it needs):

- numbers: the decimal digits without leading zeros, "0" .. "999" or any
  larger number a dictionary chooses to hold ("2024");
- "hundred" (en "hundred", fr "cent"), "hundreds" (fr plural "cents");
- "thousand", "million", "billion" (10^9; fr "milliard") and their forms:
  "<scale>s" plural (fr "millions", ar "آلاف"), "<scale>_dual" (ar "ألفان"),
  "<scale>_acc" (ar accusative singular after 11..99: "ألفًا");
- "and" (en "and", fr "et", ar "و"), "point" (fr "virgule", ar "فاصلة"),
  "minus", "plus";
- dates: "month_1".."month_12", "weekday_1".."weekday_7" (ISO, 1 = Monday),
  "ord_1".."ord_31" (ordinal days: en "first".., fr "premier" for the 1st).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ringcast.audio.errors import InvalidValueError, MissingKeyError

Keys = list[str]
MAX_VALUE = 999_999_999_999
SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1000, "thousand"))

_NUMBER = re.compile(r"(-|\+)?(\d+)(?:[.,](\d+))?")
_GROUPED = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?")


class MissingError(Exception):
    """Internal: one alternative lacks `key` (becomes `MissingKeyError` at the edge)."""

    def __init__(self, key: str) -> None:
        self.key = key


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    negative: bool
    integer: int
    fraction: str  # the digits after the decimal point, as written ("50" in 12.50)


def parse_number(text: str) -> ParsedNumber:
    """Parse "-12.50", "1523", "1 523", "1,523,000", "3,5".

    Commas grouping exactly three digits ("1,523" or "1,523,000.5") are
    thousands separators; any other single comma is a decimal comma ("3,5",
    "12,50"), as French and Moroccan data write it.
    """
    cleaned = text.strip().replace("_", "").replace(" ", "").replace("\u00a0", "")
    if _GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    match = _NUMBER.fullmatch(cleaned)
    if match is None:
        # floats printed in exponent form ("1e+20") still are numbers
        try:
            exact = Decimal(cleaned)
        except InvalidOperation:
            raise InvalidValueError(f"{text!r} is not a number") from None
        if not exact.is_finite():
            raise InvalidValueError(f"{text!r} is not a number")
        return parse_number(format(exact, "f"))
    sign, integer, fraction = match.groups()
    value = int(integer)
    if value > MAX_VALUE:
        raise InvalidValueError(f"{text!r} is out of range (at most {MAX_VALUE:,})")
    fraction = fraction or ""
    is_zero = value == 0 and not fraction.strip("0")
    return ParsedNumber(negative=sign == "-" and not is_zero, integer=value, fraction=fraction)


class Speaker(ABC):
    """Turns numbers into keys for one language, against one set of available keys."""

    language: str = ""
    fraction_as_number: bool = False

    def __init__(self, available: frozenset[str]) -> None:
        self.available = available

    # ---- helpers ------------------------------------------------------------

    def key(self, name: str) -> Keys:
        if name in self.available:
            return [name]
        raise MissingError(name)

    def first(self, *alternatives: Callable[[], Keys]) -> Keys:
        error: MissingError | None = None
        for alternative in alternatives:
            try:
                return alternative()
            except MissingError as exc:
                error = exc
        assert error is not None
        raise error

    def whole_or(self, n: int, build: Callable[[], Keys]) -> Keys:
        """`[str(n)]` when the dictionary holds that number, else `build()`."""
        name = str(n)
        return [name] if name in self.available else build()

    # ---- per language ----------------------------------------------------------

    @abstractmethod
    def under_1000(self, n: int) -> Keys:
        """Keys for 0 <= n <= 999."""

    @abstractmethod
    def counted(self, count: int, scale: str) -> Keys:
        """Keys for `count` (1..999) of a scale noun ("thousand", "million", "billion")."""

    def scale_joiner(self, rest: int) -> Keys:
        """Keys between a scale group and the `rest` that follows (Arabic: و)."""
        return []

    def cardinal(self, n: int) -> Keys:
        """Keys for 0 <= n <= MAX_VALUE: the largest scale group, then the rest."""
        if n < 1000:
            return self.under_1000(n)
        return self.whole_or(n, lambda: self._split_scale(n))

    def _split_scale(self, n: int) -> Keys:
        scale, name = next((value, name) for value, name in SCALES if n >= value)
        count, rest = divmod(n, scale)
        head = self.whole_or(count * scale, lambda: self.counted(count, name))
        return head + (self.scale_joiner(rest) + self.cardinal(rest) if rest else [])

    def fraction(self, digits: str) -> Keys:
        """Keys after "point": digit by digit ("twelve point five zero"), or, when
        `fraction_as_number`, leading zeros one by one then the rest as a number
        of at most 3 digits ("douze virgule cinquante", "trois virgule zéro cinq")."""
        significant = digits.lstrip("0")
        if not self.fraction_as_number or len(significant) > 3:
            return [k for d in digits for k in self.key(d)]
        zeros = [k for _ in range(len(digits) - len(significant)) for k in self.key("0")]
        return zeros + (self.cardinal(int(significant)) if significant else [])

    def day(self, day: int) -> Keys:
        return self.cardinal(day)

    def year(self, year: int) -> Keys:
        return self.cardinal(year)

    def date_order(self, day: Keys, month: Keys, year: Keys) -> Keys:
        return day + month + year

    # ---- entry points -----------------------------------------------------------

    def full(self, number: ParsedNumber) -> Keys:
        keys = self.key("minus") if number.negative else []
        keys += self.cardinal(number.integer)
        if number.fraction:
            keys += self.key("point") + self.fraction(number.fraction)
        return keys

    def digits(self, text: str) -> Keys:
        """Character by character: "0612" → 0 6 1 2; "+33" → plus 3 3."""
        keys: Keys = []
        for char in text.strip():
            if char.isdecimal():  # ASCII and Arabic-Indic digits, not "²"
                keys += self.key(str(int(char)))
            elif char == "+":
                keys += self.key("plus")
            elif char in ".,":
                keys += self.key("point")
            elif char == "-" and not keys:
                keys += self.key("minus")
            elif char in " -()/_":
                continue  # separators in phone numbers and codes are not read
            else:
                raise InvalidValueError(f"{text!r} has a character that is not a digit: {char!r}")
        if not keys:
            raise InvalidValueError(f"{text!r} has no digits")
        return keys

    def date(self, day: int, month: int, year: int) -> Keys:
        return self.date_order(self.day(day), self.key(f"month_{month}"), self.year(year))


def missing(exc: MissingError, language: str, value: object) -> MissingKeyError:
    return MissingKeyError(exc.key, language, value)
