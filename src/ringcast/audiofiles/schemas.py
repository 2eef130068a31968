from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from ringcast.kit.schemas import InputSchema, Schema


class UsageType(StrEnum):
    welcome = "welcome"
    goodbye = "goodbye"
    question = "question"
    prompt = "prompt"
    hold_music = "hold_music"
    notification = "notification"
    other = "other"


class StoredFile(Schema):
    id: str
    name: str
    content_type: str
    file_size: int
    checksum: str


class AudioFile(Schema):
    id: str
    title: str
    description: str | None
    usage_type: UsageType
    tags: list[str]
    duration_seconds: float
    sample_rate: int
    channels: int
    bit_depth: int | None
    original_file_name: str | None
    created_at: datetime
    updated_at: datetime
    file: StoredFile


class AudioFileUpdate(InputSchema):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    usage_type: UsageType | None = None
    tags: list[str] | None = Field(default=None, max_length=50)
