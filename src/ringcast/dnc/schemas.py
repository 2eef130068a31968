from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from ringcast.contacts.phones import phone_problem
from ringcast.kit.schemas import InputSchema, Schema


class DncCreate(InputSchema):
    phone: str = Field(min_length=2, max_length=20)
    reason: str | None = Field(default=None, max_length=200)

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        problem = phone_problem(value)
        if problem is not None:
            raise ValueError(problem.message)
        return value


class DncEntry(Schema):
    id: str
    phone: str
    reason: str | None
    source: Literal["api", "flow"]
    created_at: datetime
