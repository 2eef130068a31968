"""Checking one contact row (API body, upsert row or CSV line) against the
schema and the organization's custom attributes, without touching the database.

Theory of operation: a row is first read by `_plain_values`, which applies the
schema's rules (`schemas.ContactRow`: the fields by their camelCase names, text
stripped as pydantic strips it, the length limits, the phone and email checks,
the two genders, the channel list) to plain values directly, without building
a model (a bench row, custom attribute included, checked in ~6 µs instead of
~12). It accepts only what it is sure the model accepts as is; anything else — a bad value, a field given by its Python
name, a lone surrogate, a NUL (outside a NUL-free body), a field it does not
know — sends the row to the model (`_check_with_model`), which gives the
answer it always gave: every error a bad row gets comes from the model, and a
good row's values are the same either way (tests/contacts/test_row_check.py
compares the two on generated rows).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from annotated_types import MaxLen
from pydantic import ValidationError

from ringcast.api.errors import validation_issues
from ringcast.contacts.attribute_values import (
    EMAIL_RE,
    AttributeType,
    AttributeValueError,
    check_value,
)
from ringcast.contacts.phones import phone_problem
from ringcast.contacts.schemas import (
    CHANNEL_LENGTH,
    CHANNELS_MAX,
    EMAIL_MAX_LENGTH,
    ContactCreate,
    ContactRow,
    Gender,
)
from ringcast.errors import FieldIssue
from ringcast.kit.json_body import body_nul_free
from ringcast.kit.schemas import holds_nul


@dataclass(slots=True)
class CheckedRow:
    """Column → value for the fields the row carried (absent fields are not in it)."""

    values: dict[str, Any] = field(default_factory=dict)
    issues: list[FieldIssue] = field(default_factory=list)


def check_custom(
    values: Mapping[str, Any],
    attributes: Mapping[str, AttributeType],
    *,
    from_text: bool = False,
) -> tuple[dict[str, Any], list[FieldIssue]]:
    """Stored form of `customAttributes`, and one issue per bad key."""
    out: dict[str, Any] = {}
    issues: list[FieldIssue] = []
    for key, raw in values.items():
        type_ = attributes.get(key)
        if type_ is None:
            issues.append(
                FieldIssue(
                    f"customAttributes.{key}",
                    "unknown_attribute",
                    f"Unknown custom attribute {key!r}; create it first "
                    "(POST /api/custom-attributes)",
                    {"attribute": key},
                )
            )
            continue
        try:
            out[key] = check_value(key, type_, raw, from_text=from_text)
        except AttributeValueError as exc:
            issues.append(
                FieldIssue(
                    f"customAttributes.{key}",
                    "attribute_type",
                    str(exc),
                    {"attribute": key, "expectedType": type_.value},
                )
            )
    return out, issues


WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
"""What pydantic's `str_strip_whitespace` strips (Rust's `str::trim`: Unicode
White_Space). Python's own `str.strip()` also strips U+001C-U+001F, which
pydantic keeps."""
_SURROGATE = re.compile("[\ud800-\udfff]")  # lone: pydantic refuses them (string_unicode)
_REFUSED = object()
"""A field check's answer for a value it does not read as plain: the model decides."""
_Check = Callable[[Any], Any]


def _plain_text(value: Any) -> str | None:
    """`value` stripped as the schema strips text, or None when it is not a str
    the schema reads as is (not a str, or a lone surrogate in it)."""
    if type(value) is not str or (not value.isascii() and _SURROGATE.search(value)):
        return None
    return value.strip(WHITE_SPACE)


def _phone(value: Any) -> Any:
    text = _plain_text(value)
    return _REFUSED if text is None or phone_problem(text) is not None else text


def _email(value: Any) -> Any:
    text = _plain_text(value)
    if text is None or len(text) > EMAIL_MAX_LENGTH or not EMAIL_RE.match(text):
        return _REFUSED
    return text


_GENDERS = frozenset(g.value for g in Gender)


def _gender(value: Any) -> Any:
    return value if type(value) is str and value in _GENDERS else _REFUSED


def _channels(value: Any) -> Any:
    if type(value) is not list or len(value) > CHANNELS_MAX:
        return _REFUSED
    out = []
    shortest, longest = CHANNEL_LENGTH
    for item in value:
        text = _plain_text(item)
        if text is None or not shortest <= len(text) <= longest:
            return _REFUSED
        out.append(text)
    return out


def _custom(value: Any) -> Any:
    """The dict itself when every key is already stripped text (the values are
    anything: `check_custom` reads them)."""
    if type(value) is not dict:
        return _REFUSED
    for key in value:
        if _plain_text(key) != key:
            return _REFUSED
    return value


def _field_checks() -> dict[str, tuple[str, int, _Check | None]]:
    """camelCase name → (field, max length, None) for the optional text fields
    (their limits from the schema), → (field, 0, check) for the five fields with
    a rule of their own."""
    own: dict[str, _Check] = {
        "primary_phone": _phone,
        "primary_email": _email,
        "gender": _gender,
        "channels": _channels,
        "custom_attributes": _custom,
    }
    checks: dict[str, tuple[str, int, _Check | None]] = {}
    for name, info in ContactRow.model_fields.items():
        assert info.alias is not None
        if name in own:
            checks[info.alias] = (name, 0, own[name])
        elif info.annotation == str | None and [type(m) for m in info.metadata] == [MaxLen]:
            checks[info.alias] = (name, info.metadata[0].max_length, None)
    return checks


_FIELD_CHECKS = _field_checks()


def _plain_values(raw: Mapping[str, Any], nul_free: bool) -> dict[str, Any] | None:
    """The row's values (by field name) when every field is one the schema
    accepts as is, else None. `nul_free`: the body holds no NUL, so none is looked for."""
    if type(raw) is not dict or "primaryPhone" not in raw or (not nul_free and holds_nul(raw)):
        return None
    values: dict[str, Any] = {}
    for key, value in raw.items():
        entry = _FIELD_CHECKS.get(key)
        if entry is None:
            return None
        name, max_length, check = entry
        if value is None:
            if name == "primary_phone":
                return None
        elif check is None:  # optional text, inline: most fields are
            if type(value) is not str or (not value.isascii() and _SURROGATE.search(value)):
                return None
            value = value.strip(WHITE_SPACE)
            if len(value) > max_length:
                return None
        else:
            value = check(value)
            if value is _REFUSED:
                return None
        values[name] = value
    return values


def check_row(
    raw: Mapping[str, Any],
    attributes: Mapping[str, AttributeType],
    *,
    from_text: bool = False,
) -> CheckedRow:
    """Validate one row; `issues` is empty when it can be stored."""
    nul_free = body_nul_free.get()
    values = _plain_values(raw, nul_free)
    if values is None:
        return _check_with_model(raw, attributes, from_text=from_text, nul_free=nul_free)
    checked = CheckedRow(values)
    custom = values.get("custom_attributes")
    if custom is not None:
        values["custom_attributes"], checked.issues = check_custom(
            custom, attributes, from_text=from_text
        )
    return checked


def _check_with_model(
    raw: Mapping[str, Any],
    attributes: Mapping[str, AttributeType],
    *,
    from_text: bool,
    nul_free: bool,
) -> CheckedRow:
    """The row read by the schema itself: every error a bad row gets comes from here."""
    checked = CheckedRow()
    try:
        # no NUL in the raw body: the same schema without a NUL check per field
        schema = ContactRow if nul_free else ContactCreate
        model = schema.model_validate(raw)
    except ValidationError as exc:
        checked.issues = validation_issues(list(exc.errors()))  # type: ignore[arg-type]
        # still report attribute problems in the same pass, so one answer lists all
        custom = raw.get("customAttributes")
        if isinstance(custom, Mapping):
            checked.issues += check_custom(custom, attributes, from_text=from_text)[1]
        return checked
    fields = model.__dict__  # the validated values, by field name
    for name in model.model_fields_set:
        value = fields[name]
        if name == "custom_attributes":
            if value is None:
                checked.values[name] = None
                continue
            value, issues = check_custom(value, attributes, from_text=from_text)
            checked.issues += issues
        elif name == "gender" and value is not None:
            value = value.value
        checked.values[name] = value
    return checked


def merge_custom(
    stored: Mapping[str, Any] | None, incoming: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """Sent keys replace stored ones; a null removes the key; others stay."""
    if incoming is None:
        return None
    merged = dict(stored or {})
    for key, value in incoming.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged or None


def visible_custom(
    stored: Mapping[str, Any] | None, live_names: frozenset[str] | set[str]
) -> dict[str, Any]:
    """What a response shows: values of deleted attributes stay stored, hidden."""
    if not stored:
        return {}
    return {k: v for k, v in stored.items() if k in live_names}
