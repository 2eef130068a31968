from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from ringcast.kit.schemas import InputSchema, Schema

DidStatus = Literal["active", "inactive", "reserved"]


def _upper(value: str | None) -> str | None:
    return value.upper() if value is not None else None


class DidCreate(InputSchema):
    number: str = Field(min_length=2, max_length=20)
    country: str = Field(pattern=r"^[A-Za-z]{2}$")
    description: str | None = Field(default=None, max_length=500)
    status: DidStatus = "active"
    trunk_id: str | None = None
    inbound_flow_id: str | None = None

    _country = field_validator("country")(_upper)


class DidUpdate(InputSchema):
    """Partial update; `number` and `country` are checked together."""

    number: str | None = Field(default=None, min_length=2, max_length=20)
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    description: str | None = Field(default=None, max_length=500)
    status: DidStatus | None = None
    trunk_id: str | None = None
    inbound_flow_id: str | None = None

    _country = field_validator("country")(_upper)


class Did(Schema):
    id: str
    organization_id: str
    number: str
    country: str
    description: str | None
    status: DidStatus
    trunk_id: str | None
    inbound_flow_id: str | None
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime
