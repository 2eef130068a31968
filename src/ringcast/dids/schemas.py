from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, computed_field, field_validator

from ringcast.dids.numbers import number_valid
from ringcast.kit.schemas import InputSchema, Schema

DidStatus = Literal["active", "inactive", "reserved"]


def _upper(value: str | None) -> str | None:
    return value.upper() if value is not None else None


class TrunkGroupMember(InputSchema):
    """One trunk of a DID's failover group: lower `priority` is tried first; trunks
    of one priority share its calls by `weight`."""

    trunk_id: str = Field(min_length=1, max_length=36)
    priority: int = Field(default=1, ge=1, le=100)
    weight: int = Field(default=1, ge=1, le=1000)


TrunkGroup = Annotated[list[TrunkGroupMember], Field(min_length=1, max_length=16)]


class DidCreate(InputSchema):
    number: str = Field(min_length=2, max_length=21)
    country: str = Field(pattern=r"^[A-Za-z]{2}$")
    description: str | None = Field(default=None, max_length=500)
    status: DidStatus = "active"
    trunk_id: str | None = None
    trunk_group: TrunkGroup | None = None
    inbound_flow_id: str | None = None

    _country = field_validator("country")(_upper)


class DidUpdate(InputSchema):
    """Partial update; `number` and `country` are checked together."""

    number: str | None = Field(default=None, min_length=2, max_length=21)
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    description: str | None = Field(default=None, max_length=500)
    status: DidStatus | None = None
    trunk_id: str | None = None
    trunk_group: TrunkGroup | None = None
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
    trunk_group: list[TrunkGroupMember] | None
    inbound_flow_id: str | None
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def number_valid(self) -> bool:
        """Whether libphonenumber agrees the number is valid for `country` (ours)."""
        return number_valid(self.number, self.country)
