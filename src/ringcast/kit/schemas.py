"""Base schemas: camelCase on the wire, unknown properties rejected."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Schema(BaseModel):
    """Response/base schema: camelCase aliases, populated from ORM objects."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        from_attributes=True,
        extra="forbid",
    )


class InputSchema(Schema):
    """Request bodies: unknown properties are a 400, strings are stripped."""

    model_config = ConfigDict(str_strip_whitespace=True)


def _utc(value: datetime) -> datetime:
    from datetime import UTC

    return value.astimezone(UTC)


ZonedDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]
"""An ISO-8601 timestamp that must carry a zone; normalised to UTC."""
