from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from ringcast.kit.schemas import InputSchema, Schema

Transport = Literal["udp", "tcp"]
Codec = Literal["PCMU", "PCMA"]
_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.\-]{0,253}[A-Za-z0-9])?$|^\[[0-9A-Fa-f:]+\]$")


def _check_host(value: str | None) -> str | None:
    if value is not None and not _HOST_RE.match(value):
        raise ValueError("must be a host name or an IP address")
    return value


def _default_codecs() -> list[Codec]:
    return ["PCMU", "PCMA"]


class TrunkCreate(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=5060, ge=1, le=65535)
    transport: Transport = "udp"
    username: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=200)
    from_domain: str | None = Field(default=None, max_length=255)
    max_channels: int = Field(default=30, ge=1, le=100000)
    calls_per_second: float = Field(default=10.0, gt=0, le=10000)
    codecs: list[Codec] = Field(default_factory=_default_codecs, min_length=1)
    # not named `register`: that shadows BaseModel.register
    sip_register: bool = Field(default=False, alias="register")
    is_default: bool = False

    _host = field_validator("host", "from_domain")(_check_host)


class TrunkUpdate(InputSchema):
    """Partial: only the properties sent change. `password: null` clears it."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    host: str | None = Field(default=None, min_length=1, max_length=255)
    port: int | None = Field(default=None, ge=1, le=65535)
    transport: Transport | None = None
    username: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=200)
    from_domain: str | None = Field(default=None, max_length=255)
    max_channels: int | None = Field(default=None, ge=1, le=100000)
    calls_per_second: float | None = Field(default=None, gt=0, le=10000)
    codecs: list[Codec] | None = Field(default=None, min_length=1)
    sip_register: bool | None = Field(default=None, alias="register")
    is_default: bool | None = None

    _host = field_validator("host", "from_domain")(_check_host)


class Trunk(Schema):
    """A trunk as returned: the password is write-only (only whether one is set)."""

    id: str
    name: str
    host: str
    port: int
    transport: Transport
    username: str | None
    has_password: bool
    from_domain: str | None
    max_channels: int
    calls_per_second: float
    codecs: list[Codec]
    sip_register: bool = Field(alias="register")
    is_default: bool
    created_at: datetime
    updated_at: datetime
