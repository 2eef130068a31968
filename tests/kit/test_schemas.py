"""Input schemas: NUL characters and out-of-range timestamps are validation errors."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from ringcast.kit.schemas import InputSchema, ZonedDatetime


class Engine(BaseModel):  # a non-input model nested in a request (like a flow graph)
    label: str


class Item(InputSchema):
    name: str


class Body(InputSchema):
    name: str = "ok"
    attributes: dict[str, Any] = Field(default_factory=dict)
    items: list[Item] = Field(default_factory=list)
    engine: Engine | None = None
    at: ZonedDatetime | None = None


def locations(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as caught:
        Body.model_validate(data)
    return [e["loc"] for e in caught.value.errors()]


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"name": "a\x00b"}, ("name",)),
        ({"attributes": {"k": ["x", "\x00"]}}, ("attributes",)),
        ({"attributes": {"k\x00": 1}}, ("attributes",)),
        ({"items": [{"name": "fine"}, {"name": "\x00"}]}, ("items", 1, "name")),
        ({"engine": {"label": "\x00"}}, ("engine",)),
    ],
)
def test_nul_anywhere_in_a_body_names_the_field(data: dict[str, Any], loc: tuple[Any, ...]) -> None:
    # regression: PostgreSQL refuses NUL in text, which answered a 500
    assert locations(data) == [loc]


def test_text_without_nul_passes() -> None:
    body = Body.model_validate({"name": " é\t ", "attributes": {"k": ["\x01"]}})
    assert body.name == "é"


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-01:00"])
def test_timestamp_outside_utc_range_is_a_validation_error(stamp: str) -> None:
    # regression: the UTC conversion raised OverflowError, which answered a 500
    assert locations({"at": stamp}) == [("at",)]


def test_timestamp_is_normalised_to_utc() -> None:
    body = Body.model_validate({"at": "2026-01-01T01:00:00+01:00"})
    assert body.at is not None and body.at.isoformat() == "2026-01-01T00:00:00+00:00"
