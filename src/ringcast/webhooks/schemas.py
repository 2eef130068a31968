from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import idna
from pydantic import Field, field_validator

from ringcast.kit.schemas import InputSchema, Schema
from ringcast.webhooks.events import EVENT_TYPES

DeliveryStatus = Literal["pending", "delivered", "failed"]


def _check_url(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise ValueError("url must be an http or https URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise ValueError("url must be an http or https URL")
    if not parts.hostname.isascii():
        raise ValueError("url host must be ASCII: write an international name as IDNA (xn--…)")
    try:  # httpx decodes xn-- names when it sends: an invalid A-label fails there
        for label in parts.hostname.split("."):
            if label.startswith("xn--"):
                idna.decode(label)
    except idna.IDNAError:
        raise ValueError("url host is not a valid domain name (IDNA)") from None
    return value


def _check_events(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    unknown = [e for e in value if e != "*" and e not in EVENT_TYPES]
    if unknown:
        raise ValueError(
            f"Unknown event(s): {', '.join(unknown)}; known: *, {', '.join(EVENT_TYPES)}"
        )
    if "*" in value:
        return ["*"]
    return list(dict.fromkeys(value))  # de-duplicated, order kept


class WebhookCreate(InputSchema):
    url: str = Field(min_length=1, max_length=2048)
    events: list[str] = Field(min_length=1, max_length=len(EVENT_TYPES) + 1)
    description: str | None = Field(default=None, max_length=500)
    active: bool = True

    _url = field_validator("url")(_check_url)
    _events = field_validator("events")(_check_events)


class WebhookUpdate(InputSchema):
    """Partial: only the properties sent change. `description: null` clears it."""

    url: str | None = Field(default=None, min_length=1, max_length=2048)
    events: list[str] | None = Field(default=None, min_length=1, max_length=len(EVENT_TYPES) + 1)
    description: str | None = Field(default=None, max_length=500)
    active: bool | None = None

    _url = field_validator("url")(_check_url)
    _events = field_validator("events")(_check_events)


class Webhook(Schema):
    id: str
    url: str
    events: list[str]
    active: bool
    description: str | None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(Webhook):
    """Only the create (and rotate-secret) response carries the signing secret."""

    secret: str


class WebhookDelivery(Schema):
    id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]
