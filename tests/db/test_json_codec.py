"""JSON columns' codec: exactly json.dumps' text and json.loads' values and errors."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import JSON, Column, MetaData, Table, insert, select, text

from ringcast.db import json_codec
from ringcast.db.engine import create_engine

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities too: json writes NaN / Infinity
    | st.text()  # non-ASCII and lone surrogates: escaped as json escapes them
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def same(a: Any, b: Any) -> bool:
    """Equal, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@given(values)
def test_dumps_writes_json_dumps_text(value: Any) -> None:
    assert json_codec.dumps(value) == json.dumps(value)


@given(values, st.sampled_from(["", " ", "\n\t ", "\r\n"]), st.sampled_from(["", " ", "\n"]))
def test_loads_reads_json_loads_values(value: Any, before: str, after: str) -> None:
    text = before + json.dumps(value) + after
    assert same(json_codec.loads(text), json.loads(text))


@pytest.mark.parametrize(
    "bad", ["", " ", "{", "[1,]", "1 2", '{"a": 1}x', "\ufeff1", "nul", "'a'", '"\x01"']
)
def test_loads_fails_as_json_loads_does(bad: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(bad)
    with pytest.raises(json.JSONDecodeError) as got:
        json_codec.loads(bad)
    assert (got.value.msg, got.value.pos) == (expected.value.msg, expected.value.pos)


def test_bytes_and_unknown_types_as_json_does() -> None:
    assert json_codec.loads(b'{"a": [1]}') == {"a": [1]}
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_codec.dumps({"a": object()})


async def test_engine_json_columns_use_the_codec(tmp_path) -> None:
    table = Table("t", MetaData(), Column("v", JSON))
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/codec.db")
    assert engine.dialect._json_serializer is json_codec.dumps  # type: ignore[attr-defined]
    assert engine.dialect._json_deserializer is json_codec.loads  # type: ignore[attr-defined]
    stored = {"score": 1.5, "name": "Zoë", "none": None}
    async with engine.begin() as conn:
        await conn.run_sync(table.metadata.create_all)
        await conn.execute(insert(table), [{"v": stored}])
        raw = (await conn.execute(text("SELECT v FROM t"))).scalar_one()
        read = (await conn.execute(select(table.c.v))).scalar_one()
    await engine.dispose()
    assert raw == json.dumps(stored)
    assert read == stored
