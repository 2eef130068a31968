"""Custom-attribute types: slugs for names and the value check for each type.

A value arrives either as JSON (API: a number must be a JSON number, a
boolean a JSON boolean) or as text (a CSV cell: "12.5", "yes"); `from_text`
selects the coercions that text needs. Every check returns the value to
store or raises `AttributeValueError` naming the expected type.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from ringcast.contacts.phones import phone_problem


class AttributeType(StrEnum):
    text = "text"
    number = "number"
    boolean = "boolean"
    date = "date"
    phone_number = "phone_number"
    email = "email"
    url = "url"


TEXT_MAX = 2000
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_TRUE = frozenset({"true", "1", "yes", "y"})
_FALSE = frozenset({"false", "0", "no", "n"})
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EXPECTED = {
    AttributeType.text: f"text (a string of at most {TEXT_MAX} characters)",
    AttributeType.number: "number",
    AttributeType.boolean: "boolean (true or false)",
    AttributeType.date: "date (YYYY-MM-DD)",
    AttributeType.phone_number: "phone_number (E.164, e.g. +14155551234)",
    AttributeType.email: "email",
    AttributeType.url: "url (http:// or https://)",
}


class AttributeValueError(ValueError):
    def __init__(self, name: str, type_: AttributeType, detail: str = "") -> None:
        self.name = name
        self.type = type_
        self.expected = _EXPECTED[type_]
        suffix = f": {detail}" if detail else ""
        super().__init__(f"customAttributes.{name} must be a {self.expected}{suffix}")


def slugify(display_name: str) -> str:
    """'Due Date' → 'due_date'; accents dropped; never empty."""
    ascii_text = (
        unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode("ascii")
    )
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if not slug:
        slug = "attribute"
    if slug[0].isdigit():
        slug = f"a_{slug}"
    return slug[:90]


def unique_slug(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def check_value(name: str, type_: AttributeType, value: Any, *, from_text: bool = False) -> Any:
    """The value to store for attribute `name`, or AttributeValueError."""
    if value is None:
        return None
    if type_ is AttributeType.number:
        if from_text and isinstance(value, str):
            try:
                value = float(value) if "." in value or "e" in value or "E" in value else int(value)
            except ValueError:
                raise AttributeValueError(name, type_) from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise AttributeValueError(name, type_)
        if isinstance(value, float) and not math.isfinite(value):
            raise AttributeValueError(name, type_, "not finite")
        return value
    if type_ is AttributeType.boolean:
        if from_text and isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if not isinstance(value, bool):
            raise AttributeValueError(name, type_)
        return value
    if not isinstance(value, str):
        raise AttributeValueError(name, type_)
    if not value.isascii() and _LONE_SURROGATE.search(value):  # JSON's "\udc00": not text
        raise AttributeValueError(name, type_, "not valid Unicode (a lone surrogate)")
    value = value.strip()
    if type_ is AttributeType.text:
        if len(value) > TEXT_MAX:
            raise AttributeValueError(name, type_, "too long")
        return value
    if type_ is AttributeType.date:
        if not _DATE_RE.match(value):
            raise AttributeValueError(name, type_)
        try:
            date.fromisoformat(value)
        except ValueError:
            raise AttributeValueError(name, type_, "no such day") from None
        return value
    if type_ is AttributeType.phone_number:
        problem = phone_problem(value)
        if problem is not None:
            raise AttributeValueError(name, type_, problem.message)
        return value
    if type_ is AttributeType.email:
        if len(value) > 254 or not EMAIL_RE.match(value):
            raise AttributeValueError(name, type_)
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > TEXT_MAX:
        raise AttributeValueError(name, type_)
    return value
