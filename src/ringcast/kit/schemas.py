"""Base schemas: camelCase on the wire, unknown properties rejected."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel
from sqlalchemy.exc import DBAPIError

from ringcast.kit.json_body import body_nul_free


class Schema(BaseModel):
    """Response/base schema: camelCase aliases, populated from ORM objects."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        from_attributes=True,
        extra="forbid",
    )


class InputFields(Schema):
    """An `InputSchema` without its NUL check, for items of a body whose raw bytes
    are known to hold no NUL escape (`body_nul_free`): the same fields and
    settings validated without a call per field (an upsert's 1000 rows,
    `contacts.rows`). Anything else uses `InputSchema`."""

    model_config = ConfigDict(str_strip_whitespace=True)
    checked_per_item: ClassVar[frozenset[str]] = frozenset()


class InputSchema(InputFields):
    """Request bodies: unknown properties are a 400, strings are stripped and
    may not hold NUL characters (PostgreSQL text cannot store them, so they
    would fail at the database instead of here, with the field named).

    Nothing is looked at when the raw JSON body holds no NUL escape
    (`kit/json_body.body_nul_free`, a scan of the bytes as they arrived).
    Fields named in `checked_per_item` are not checked here: their items are
    validated one by one later (an upsert's rows), so a NUL fails its item
    alone."""

    @field_validator("*", mode="after")
    @classmethod
    def _reject_nul(cls, value: Any, info: ValidationInfo) -> Any:
        if body_nul_free.get() or info.field_name in cls.checked_per_item:
            return value  # no NUL anywhere in the raw body: nothing to look for
        if holds_nul(value):
            raise ValueError("Text must not contain NUL (\\u0000) characters")
        return value


NO_NUL = r"^[^\x00]*$"
"""`pattern=` for text parameters outside an InputSchema (form fields): no NUL."""


def url_holds_nul(path: str, query: bytes) -> bool:
    """A NUL in the path or query (raw or %00): no id or parameter may hold one."""
    return "\x00" in path or b"%00" in query or b"\x00" in query


def is_nul_rejection(exc: DBAPIError) -> bool:
    """The database refused a NUL in text no schema checked (a form field, a file name)."""
    # PostgreSQL: 'invalid byte sequence for encoding "UTF8": 0x00' (SQLSTATE 22021)
    return "0x00" in str(exc.orig)


def holds_nul(value: Any) -> bool:
    """A NUL anywhere in `value` (text, collections, dict keys, non-request models)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(holds_nul(v) for v in value)
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    # nested request schemas checked their own fields; other models (e.g. a
    # flow graph from the engine) are walked here
    if isinstance(value, BaseModel) and not isinstance(value, InputSchema):
        return any(holds_nul(v) for v in value.__dict__.values())
    return False


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is in year 0 in UTC
        raise ValueError("Timestamp is out of range") from None


ZonedDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]
"""An ISO-8601 timestamp that must carry a zone; normalised to UTC."""
