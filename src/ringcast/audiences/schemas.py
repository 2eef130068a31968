from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ringcast.kit.schemas import InputSchema, Schema

MAX_MEMBERSHIP_IDS = 10_000


class AudienceCreate(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)


class AudienceUpdate(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)


class Audience(Schema):
    id: str
    organization_id: str
    name: str
    description: str | None
    contact_count: int
    created_at: datetime
    updated_at: datetime


class MembershipChange(InputSchema):
    contacts: list[str] = Field(min_length=1, max_length=MAX_MEMBERSHIP_IDS)


class MembershipResult(Schema):
    audience_id: str
    added: int = 0
    removed: int = 0
    contact_count: int
