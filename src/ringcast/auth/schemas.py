from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field, field_validator

from ringcast.auth.secrets import PREFIX_RE
from ringcast.kit.schemas import InputSchema, Schema, ZonedDatetime


class Role(StrEnum):
    admin = "admin"
    manager = "manager"
    agent = "agent"


class ApiKeyCreate(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    prefix: str = Field(min_length=2, max_length=32)
    role: Role = Role.agent
    expires_at: ZonedDatetime | None = None
    rate_limit_per_second: int | None = Field(default=None, ge=1, le=10000)
    rate_limit_burst: int | None = Field(default=None, ge=1, le=100000)

    @field_validator("prefix")
    @classmethod
    def _prefix_shape(cls, value: str) -> str:
        if not PREFIX_RE.match(value):
            raise ValueError("prefix must be letters/digits ending with '_' (e.g. prod_)")
        return value


class ApiKey(Schema):
    id: str
    name: str
    key_prefix: str
    role: Role
    is_active: bool
    expires_at: datetime | None
    last_used_at: datetime | None
    rate_limit_per_second: int | None
    rate_limit_burst: int | None
    created_at: datetime
    updated_at: datetime


class ApiKeyCreated(ApiKey):
    secret: str


class ApiKeyList(Schema):
    api_keys: list[ApiKey]
