"""Checking one contact row (API body, upsert row or CSV line) against the
schema and the organization's custom attributes, without touching the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ringcast.api.errors import validation_issues
from ringcast.contacts.attribute_values import AttributeType, AttributeValueError, check_value
from ringcast.contacts.schemas import ContactCreate, ContactRow
from ringcast.errors import FieldIssue
from ringcast.kit.json_body import body_nul_free


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


def check_row(
    raw: Mapping[str, Any],
    attributes: Mapping[str, AttributeType],
    *,
    from_text: bool = False,
) -> CheckedRow:
    """Validate one row; `issues` is empty when it can be stored."""
    checked = CheckedRow()
    try:
        # no NUL in the raw body: the same schema without a NUL check per field
        schema = ContactRow if body_nul_free.get() else ContactCreate
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
