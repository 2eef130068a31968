"""Value sources and audio items: the data a node config points at.

A `ValueSource` names where a value comes from when the flow runs (the contact,
its custom attributes, a flow variable, a `sys.*` variable, or a literal); the
interpreter resolves it against the run (`ringcast.flow.context`). Audio items
describe what a Play node (or a DTMF prompt) says; the interpreter turns them
into `ClipRequest`s with concrete values, and an injected resolver turns those
into PCM (`ringcast.flow.runner`). All models forbid unknown properties.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator
from pydantic_core import PydanticCustomError

JsonScalar = str | int | float | bool | None

ContactField = Literal[
    "id",
    "organizationId",
    "primaryPhone",
    "firstName",
    "lastName",
    "fullName",
    "primaryEmail",
    "address",
    "city",
    "state",
    "zip",
    "occupation",
    "preferredChannel",
    "gender",
    "channels",
    "createdAt",
    "updatedAt",
]
CONTACT_FIELDS: tuple[str, ...] = get_args(ContactField)
"""The contact fields a `contactField` value source may read."""

SYSTEM_VARIABLES = (
    "sys.callId",
    "sys.callStatus",
    "sys.callDirection",
    "sys.answeredBy",
    "sys.contactId",
    "sys.contactPhone",
    "sys.contactName",
    "sys.organizationId",
    "sys.programId",
)
SystemVariableName = Literal[
    "sys.callId",
    "sys.callStatus",
    "sys.callDirection",
    "sys.answeredBy",
    "sys.contactId",
    "sys.contactPhone",
    "sys.contactName",
    "sys.organizationId",
    "sys.programId",
]

_VARIABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")


def _variable_name(value: str) -> str:
    # `sys.*` names are read-only system variables.
    if not _VARIABLE_RE.match(value) or value.startswith("sys."):
        raise PydanticCustomError(
            "variable_name",
            "a variable name is a letter or _ then letters, digits, _ . - (at most 64),"
            " and not sys.*",
        )
    return value


VariableName = Annotated[str, AfterValidator(_variable_name)]
ResourceId = Annotated[str, Field(min_length=1, max_length=200)]
Language = Annotated[str, Field(min_length=2, max_length=16)]


def _scalar(value: Any) -> JsonScalar:
    # A plain validator gives one clear error instead of one per union member.
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise PydanticCustomError("literal_type", "a literal must be a string, number, boolean or null")


class StrictModel(BaseModel):
    """Base for every graph model: unknown properties are a validation error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CustomAttributeSource(StrictModel):
    source: Literal["customAttribute"]
    attributeName: str = Field(min_length=1)


class ContactFieldSource(StrictModel):
    source: Literal["contactField"]
    field: ContactField


class FlowVariableSource(StrictModel):
    source: Literal["flowVariable"]
    name: str = Field(min_length=1)


class SystemVariableSource(StrictModel):
    source: Literal["systemVariable"]
    name: SystemVariableName


class LiteralSource(StrictModel):
    source: Literal["literal"]
    value: Annotated[JsonScalar, PlainValidator(_scalar)] = None


ValueSource = Annotated[
    CustomAttributeSource
    | ContactFieldSource
    | FlowVariableSource
    | SystemVariableSource
    | LiteralSource,
    Field(discriminator="source"),
]


class AudioFileItem(StrictModel):
    type: Literal["audioFile"]
    audioId: ResourceId


class NumberItem(StrictModel):
    """Say a number. `mode` `full` ("one thousand five hundred...") or `digits`
    ("one five two three"); `dictionaryId` null = the system dictionary of `language`
    (default `fr`, as for the date and word items)."""

    type: Literal["number"]
    value: ValueSource
    mode: Literal["full", "digits"] = "full"
    language: Language = "fr"
    dictionaryId: ResourceId | None = None


class DateItem(StrictModel):
    """Say a date (the value must resolve to an ISO-8601 date or datetime)."""

    type: Literal["date"]
    value: ValueSource
    language: Language = "fr"
    dictionaryId: ResourceId | None = None


class WordItem(StrictModel):
    """Say one dictionary word (a key such as `dirhams`)."""

    type: Literal["word"]
    word: str = Field(min_length=1)
    language: Language = "fr"
    dictionaryId: ResourceId | None = None


AudioItem = Annotated[
    AudioFileItem | NumberItem | DateItem | WordItem,
    Field(discriminator="type"),
]

# Names pydantic inserts into an error location for a discriminated union
# member; validation strips them so paths read like the submitted JSON.
UNION_TAGS = frozenset(
    {
        "customAttribute",
        "contactField",
        "flowVariable",
        "systemVariable",
        "literal",
        "audioFile",
        "number",
        "date",
        "word",
    }
)
