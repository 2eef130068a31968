from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from ringcast.kit.schemas import InputSchema, Schema

Language = Literal["ar", "fr", "en"]


class DictionaryCreate(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    language: Language


class DictionaryUpdate(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class Dictionary(Schema):
    id: str
    organization_id: str | None
    name: str
    description: str | None
    language: str
    is_system: bool
    entry_count: int = 0
    created_at: datetime
    updated_at: datetime


class DictionaryEntry(Schema):
    key: str
    duration_ms: int
    file_size: int | None = None
    checksum: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class DictionaryEntryList(Schema):
    dictionary_id: str
    entries: list[DictionaryEntry]
