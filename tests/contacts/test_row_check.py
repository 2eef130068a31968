"""The row check without a model per row (`contacts.rows._plain_values`) against
the schema itself: on generated rows, good and bad, `check_row` answers exactly
what the model-based check answers (values and every issue), in a NUL-free body
and in one with a NUL; the plain path is really taken for ordinary rows; and the
text stripping matches pydantic's for every code point."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ConfigDict, TypeAdapter

from ringcast.contacts import rows
from ringcast.contacts.attribute_values import AttributeType
from ringcast.contacts.schemas import ContactRow
from ringcast.kit.json_body import body_nul_free

ATTRIBUTES = {
    "score": AttributeType.number,
    "vip": AttributeType.boolean,
    "due": AttributeType.date,
    "mobile": AttributeType.phone_number,
    "note": AttributeType.text,
}
ALIASES = [info.alias for info in ContactRow.model_fields.values()]
NAMES = list(ContactRow.model_fields)

# characters where the readings could part: whitespace of both kinds, the
# separators Python strips and pydantic keeps, NUL, lone surrogates, non-ASCII
TRICKY = (
    " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2003\u200b\u180e\u3000\ufeff\x00é中\ud800\udfff"
)
chars = st.sampled_from(TRICKY) | st.characters(codec=None) | st.sampled_from("ab+1@.")
text = st.text(chars, max_size=8) | st.builds(
    lambda pad, n, c: pad + c * n + pad,
    st.sampled_from(["", " ", "\u3000", "\x1c"]),
    st.sampled_from([0, 1, 19, 20, 21, 49, 50, 51, 99, 100, 101, 199, 200, 201, 254, 255, 501]),
    st.sampled_from(["x", "é", "\ud800"]),
)
phones = (
    st.sampled_from(
        [
            "+212612345678",
            " +212612345678 ",
            "+14155551234",
            "+212012345678",
            "+2121",
            "0612345678",
            "+999123456",
            "+2126123\ud80045678",
            "+21261234567\x00",
            "",
        ]
    )
    | text
)
emails = (
    st.sampled_from(
        ["a@example.com", " a@example.com\u3000", "nope", "a" * 250 + "@x.com", "a@b.c"]
    )
    | text
)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
custom = st.dictionaries(
    st.sampled_from([*ATTRIBUTES, " score", "nope", "sc\ud800", "a\x00"]) | text,
    scalars | st.lists(scalars, max_size=2),
    max_size=4,
)
values = {
    "primaryPhone": phones | st.none() | st.integers(),
    "primaryEmail": emails | st.none(),
    "gender": st.sampled_from(["male", "female", "Male", " male", "x"]) | st.none() | text,
    "channels": st.none()
    | text
    | st.lists(text | st.sampled_from(["sms", "c" * 50, "c" * 51]) | st.integers(), max_size=22),
    "customAttributes": st.none() | custom | text | st.lists(text, max_size=1),
}
row_values = st.dictionaries(
    st.sampled_from([*ALIASES, *NAMES, "nickname"]),
    st.none() | text | st.integers() | st.booleans(),
    max_size=5,
)


TEXT_FIELDS = [a for a in ALIASES if a not in values]
safe = st.text(st.sampled_from(" \t\x1c\x85\u3000\u200bab é中"), max_size=6)
plain = st.one_of(safe, safe, safe, safe, text)
nearly_good = {
    "primaryPhone": st.sampled_from(["+212612345678", " +14155551234\u3000", "+2121"]),
    "primaryEmail": st.sampled_from(["a@example.com", "\xa0a@example.com ", "nope"]) | st.none(),
    "gender": st.sampled_from(["male", "female", "Male"]) | st.none(),
    "channels": st.lists(plain, max_size=3) | st.none(),
    "customAttributes": st.dictionaries(st.sampled_from([*ATTRIBUTES, " score"]), scalars)
    | st.none(),
    **{a: plain | st.none() for a in TEXT_FIELDS},
}


@st.composite
def contact_rows(draw: st.DrawFn) -> Any:
    if draw(st.booleans()):  # mostly plain: the fields and values an ordinary row has
        fields = draw(st.lists(st.sampled_from(list(nearly_good)), unique=True, max_size=8))
        row = {"primaryPhone": draw(nearly_good["primaryPhone"])}
        row.update({key: draw(nearly_good[key]) for key in fields})
        return row
    row = draw(row_values)  # anything
    for key, strategy in values.items():
        if draw(st.booleans()):
            row[key] = draw(strategy)
        elif key in row:
            del row[key]
    if draw(st.integers(0, 3)) == 0:
        row["primaryPhone"] = "+212612345678"  # often otherwise valid: the other fields decide
    return row


@contextmanager
def body(nul_free: bool):
    token = body_nul_free.set(nul_free)
    try:
        yield
    finally:
        body_nul_free.reset(token)


def answer(checked: rows.CheckedRow) -> tuple[dict[str, Any], list[Any]]:
    return checked.values, checked.issues


@pytest.mark.parametrize("nul_free", [True, False])
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=contact_rows(), from_text=st.booleans())
def test_the_plain_check_answers_what_the_model_answers(
    nul_free: bool, row: dict[str, Any], from_text: bool
):
    if nul_free and rows.holds_nul(row):
        return  # a body with a NUL is never read as NUL-free
    with body(nul_free):
        fast = rows.check_row(row, ATTRIBUTES, from_text=from_text)
    model = rows._check_with_model(row, ATTRIBUTES, from_text=from_text, nul_free=nul_free)
    assert answer(fast) == answer(model)


ORDINARY = {
    "primaryPhone": "+212612345678",
    "firstName": " Zoé ",
    "lastName": "Lee",
    "fullName": "Zoé Lee",
    "primaryEmail": "zoe@example.com",
    "address": "1 rue X",
    "city": "Casablanca",
    "state": None,
    "zip": "20000",
    "occupation": "nurse",
    "preferredChannel": "voice",
    "gender": "female",
    "channels": ["voice", " sms"],
    "customAttributes": {"score": 3, "note": None},
}


@pytest.mark.parametrize("nul_free", [True, False])
def test_an_ordinary_row_takes_the_plain_path(nul_free: bool):
    values = rows._plain_values(ORDINARY, nul_free)
    assert values is not None
    assert values["first_name"] == "Zoé" and values["channels"] == ["voice", "sms"]
    assert values["gender"] == "female"
    with body(nul_free):
        checked = rows.check_row(ORDINARY, ATTRIBUTES)
    assert checked.issues == [] and checked.values["custom_attributes"] == {
        "score": 3,
        "note": None,
    }


def test_every_field_of_the_schema_is_read_plainly():
    """A field added to the schema without a plain check sends every row carrying
    it to the model: correct, but slow, so it is caught here."""
    assert sorted(rows._FIELD_CHECKS) == sorted(ALIASES)


def test_stripping_matches_pydantic_for_every_code_point():
    strip = TypeAdapter(list[str], config=ConfigDict(str_strip_whitespace=True))
    points = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    padded = [f"{c}x{c}" for c in points]
    assert strip.validate_python(padded) == [s.strip(rows.WHITE_SPACE) for s in padded]
