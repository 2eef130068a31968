from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from ringcast.contacts.attribute_values import EMAIL_RE, AttributeType
from ringcast.contacts.phones import phone_problem
from ringcast.kit.schemas import InputFields, InputSchema, Schema

MAX_UPSERT_ROWS = 1000
EMAIL_MAX_LENGTH = 254
CHANNELS_MAX = 20
CHANNEL_LENGTH = (1, 50)


def _phone(value: str) -> str:
    problem = phone_problem(value)
    if problem is not None:
        raise PydanticCustomError(problem.code, problem.message)
    return value


def _email(value: str) -> str:
    if not EMAIL_RE.match(value):
        raise PydanticCustomError("email", "Not a valid email address")
    return value


Phone = Annotated[str, AfterValidator(_phone)]
Email = Annotated[str, Field(max_length=EMAIL_MAX_LENGTH), AfterValidator(_email)]


class Gender(StrEnum):
    male = "male"
    female = "female"


class _ContactFields(InputFields):
    """The fields; the classes below add the NUL check (`InputSchema`) but `ContactRow`.
    `contacts.rows` checks upsert rows against the same rules without building a
    model (and falls back to the model for anything it does not read as plain):
    a field added here is read from the model until it learns it."""

    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    full_name: str | None = Field(default=None, max_length=200)
    primary_email: Email | None = None
    address: str | None = Field(default=None, max_length=500)
    city: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, max_length=100)
    zip: str | None = Field(default=None, max_length=20)
    occupation: str | None = Field(default=None, max_length=100)
    preferred_channel: str | None = Field(default=None, max_length=50)
    gender: Gender | None = None
    channels: (
        list[Annotated[str, Field(min_length=CHANNEL_LENGTH[0], max_length=CHANNEL_LENGTH[1])]]
        | None
    ) = Field(default=None, max_length=CHANNELS_MAX)
    custom_attributes: dict[str, Any] | None = None


class ContactRow(_ContactFields):
    """`ContactCreate` without the per-field NUL check: an upsert row from a body
    whose raw bytes hold no NUL (`contacts.rows.check_row` picks it)."""

    primary_phone: Phone


class ContactCreate(InputSchema, ContactRow):
    pass


class ContactUpdate(InputSchema, _ContactFields):
    """PUT: the fields sent replace the stored ones; the others stay."""

    primary_phone: Phone | None = None


class Contact(Schema):
    id: str
    organization_id: str
    primary_phone: str
    first_name: str | None
    last_name: str | None
    full_name: str | None
    primary_email: str | None
    address: str | None
    city: str | None
    state: str | None
    zip: str | None
    occupation: str | None
    preferred_channel: str | None
    gender: str | None
    channels: list[str] | None
    custom_attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class UpsertRequest(InputSchema):
    # rows are validated one by one in the service, so one bad row (a NUL
    # included) fails alone
    checked_per_item = frozenset({"data"})
    data: list[Any]


class FailedRow(Schema):
    index: int
    primary_phone: Any
    field_errors: dict[str, list[str]]
    field_details: dict[str, list[dict[str, Any]]]


class DuplicateRow(Schema):
    index: int
    primary_phone: str
    superseded_by: int


class UpsertResult(Schema):
    created: int
    updated: int
    failed: list[FailedRow]
    duplicates: list[DuplicateRow]


class AttributeCreate(InputSchema):
    display_name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=1000)
    type: AttributeType


class AttributeUpdate(InputSchema):
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=1000)
    type: AttributeType | None = None


class Attribute(Schema):
    id: str
    name: str
    display_name: str
    description: str | None
    type: AttributeType
    created_at: datetime
    updated_at: datetime


class ImportStatus(StrEnum):
    pending = "pending"
    running = "running"
    completed = "completed"
    failed = "failed"


class ContactImport(Schema):
    id: str
    status: ImportStatus
    filename: str
    audience_id: str | None
    processed_rows: int
    created_count: int
    updated_count: int
    failed_count: int
    errors: list[dict[str, Any]] | None
    error: str | None
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime
