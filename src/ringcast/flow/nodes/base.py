"""What every node type shares: `NodeModel`, the base each type's model extends.

A node type is one subclass of `NodeModel` in its own module under
`ringcast.flow.nodes`, declaring in one place:

- `type`: a `Literal` with the type's name (the union's discriminator);
- `config`: its config model (camelCase names as in API.md, unknown properties
  rejected);
- `OUTPUTS`: its specific output names (`default` comes on top unless the type
  is `TERMINAL`);
- `enter(run)`: start its work, or complete at once with an output;
- optionally `references()` (audio files and dictionaries it plays) and
  `OPTIONAL_OUTPUTS` (outputs whose absence does not end the call).

The validator, the interpreter and simulate mode find everything through the
`Node` union in `ringcast.flow.graph`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

from pydantic import Field
from pydantic_core import PydanticCustomError

from ringcast.flow.values import AudioFileItem, AudioItem, StrictModel

DTMF_KEYS = frozenset("0123456789*#")

Outputs = dict[str, str | dict[str, str]]


@dataclass(frozen=True, slots=True)
class Reference:
    """A resource a node uses: `path` is relative to the node (`config.prompt[0].audioId`).
    `trunk` and `sip_host` (the Forward node's) are checked when the flow is saved."""

    kind: Literal["audio", "dictionary", "trunk", "sip_host"]
    id: str
    path: str


class NodeModel(StrictModel):
    """The fields and hooks of every node type (see the module docstring)."""

    OUTPUTS: ClassVar[tuple[str, ...]] = ()
    OPTIONAL_OUTPUTS: ClassVar[frozenset[str]] = frozenset()
    """Outputs whose absence does not end the call (a DTMF node re-prompts)."""
    TERMINAL: ClassVar[bool] = False
    """The node ends the call: no outputs at all, not even `default`."""

    id: str = Field(min_length=1, max_length=200)
    label: str | None = None
    outputs: Outputs = Field(default_factory=dict)
    type: str

    @classmethod
    def type_name(cls) -> str:
        name: str = get_args(cls.model_fields["type"].annotation)[0]
        return name

    def target(self, output: str) -> str | None:
        value = self.outputs.get(output)
        return value if isinstance(value, str) else None

    def enter(self, run: Any) -> str | None:
        """Start the node's work on `run` (a `NodeRun`): the output to follow now,
        or None when the run now waits for an event (or has ended)."""
        raise NotImplementedError

    def references(self) -> Iterator[Reference]:
        """Audio files and dictionaries this node plays."""
        return iter(())


def check_keys(keys: str, what: str) -> str:
    if not keys or any(k not in DTMF_KEYS for k in keys):
        raise PydanticCustomError(
            "dtmf_key", "{what} must be made of the keys 0-9, * and #", {"what": what}
        )
    return keys


def item_references(base: str, items: Sequence[AudioItem]) -> Iterator[Reference]:
    """The audio files and dictionaries a list of audio items at `base` names."""
    for i, item in enumerate(items):
        if isinstance(item, AudioFileItem):
            yield Reference("audio", item.audioId, f"{base}[{i}].audioId")
        elif item.dictionaryId is not None:
            yield Reference("dictionary", item.dictionaryId, f"{base}[{i}].dictionaryId")
