"""The flow graph as data: a pydantic discriminated union on a node's `type`.

A graph is `{startNodeId, nodes}`; `nodes` may be submitted as a list or as a
map keyed by node id and is normalised to a list. Each node has a `config`
(per type, camelCase names as in API.md, unknown properties rejected) and an
`outputs` map `{outputName: nodeId}`. Which output names a type has is the
`OUTPUTS` table below; every type but `hangup` may also have `default`, taken
when the specific output is not wired. A DTMF node's digit branches live in
`outputs.branches` (`{"1": nodeId}`); a top-level `branches` map is accepted too.

Parsing a graph here checks shapes only; graph-level rules (wiring,
reachability, resources) are `ringcast.flow.validation`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ringcast.flow.values import AudioItem, StrictModel, ValueSource, VariableName

DTMF_KEYS = frozenset("0123456789*#")

NodeType = Literal[
    "dial", "answer", "play", "dtmf", "record", "condition", "set_variable", "hangup"
]

OUTPUTS: dict[str, tuple[str, ...]] = {
    "dial": ("onAnswer", "onVoicemail", "onNoAnswer", "onBusy", "onRejected", "onError"),
    "answer": ("onSuccess", "onError"),
    "play": ("onComplete", "onError"),
    "dtmf": ("onSuccess", "onTimeout", "onInvalid", "onMaxRetries", "onError"),
    "record": ("onComplete", "onTimeout", "onError"),
    "condition": ("onTrue", "onFalse", "onError"),
    "set_variable": ("onSuccess", "onError"),
    "hangup": (),
}
"""Specific output names per node type (`default` and dtmf `branches` come on top)."""

Outputs = dict[str, str | dict[str, str]]


def _check_keys(keys: str, what: str) -> str:
    if not keys or any(k not in DTMF_KEYS for k in keys):
        raise PydanticCustomError(
            "dtmf_key", "{what} must be made of the keys 0-9, * and #", {"what": what}
        )
    return keys


# ---- configs -------------------------------------------------------------------


class AmdConfig(StrictModel):
    """AMD tuning (ours), in ms, mirroring `telephony.channel.AmdSettings`.

    Defaults (those of `telephony.channel.AmdSettings`): initialSilence 3500,
    greeting 2400 (ms of speech), greetingSpan 4000 (a greeting still going this
    long after its first word, pauses included, is a machine; 0 turns the rule
    off), afterGreetingSilence 1000, totalAnalysisTime 5000, minWordLength 100,
    betweenWordsSilence 50, maximumWords 6, silenceThreshold 32
    (totalAnalysisTime counts from the first word, at most 2 s later than from
    answer); `unknownRoute` (the output taken when AMD cannot decide) defaults
    to `onAnswer`.
    """

    initialSilence: int = Field(3500, ge=0)
    greeting: int = Field(2400, ge=0)
    greetingSpan: int = Field(4000, ge=0)
    afterGreetingSilence: int = Field(1000, ge=0)
    totalAnalysisTime: int = Field(5000, ge=0)
    minWordLength: int = Field(100, ge=0)
    betweenWordsSilence: int = Field(50, ge=0)
    maximumWords: int = Field(6, ge=1)
    silenceThreshold: int = Field(32, ge=0, le=32767)
    unknownRoute: Literal["onAnswer", "onVoicemail", "onError"] = "onAnswer"


class DialConfig(StrictModel):
    """`timeout` ring ms (default 30000); `enableAMD` (default true); `waitForBeep`
    (default false): on a machine, route to onVoicemail only after its greeting."""

    timeout: int = Field(30000, ge=1)
    enableAMD: bool = True
    amd: AmdConfig = AmdConfig()
    waitForBeep: bool = False


class AnswerConfig(StrictModel):
    """No settings (inbound calls)."""


class PlayConfig(StrictModel):
    """`audioItems` said in order; `bargeIn` (default false): a key press stops
    the playback, takes onComplete and is kept for the next DTMF node."""

    audioItems: list[AudioItem] = Field(default_factory=list)
    bargeIn: bool = False


class SingleDigitConfig(StrictModel):
    """`allowedDigits`: the keys accepted; absent or empty = any key."""

    allowedDigits: list[str] | None = None

    @field_validator("allowedDigits")
    @classmethod
    def _digits(cls, value: list[str] | None) -> list[str] | None:
        for digit in value or []:
            if len(digit) != 1:
                _check_keys("", "allowedDigits")
            _check_keys(digit, "allowedDigits")
        return value


class MultiDigitConfig(StrictModel):
    """Defaults: minDigits 1, maxDigits 20, terminator `#` (null = none),
    interDigitTimeout 3000 ms."""

    minDigits: int = Field(1, ge=1, le=64)
    maxDigits: int = Field(20, ge=1, le=64)
    terminator: str | None = "#"
    interDigitTimeout: int = Field(3000, ge=1)

    @field_validator("terminator")
    @classmethod
    def _terminator(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 1:
            _check_keys("", "terminator")
        return None if value is None else _check_keys(value, "terminator")

    @model_validator(mode="after")
    def _min_max(self) -> MultiDigitConfig:
        if self.minDigits > self.maxDigits:
            raise PydanticCustomError(
                "min_exceeds_max",
                "minDigits ({min}) must not exceed maxDigits ({max})",
                {"min": self.minDigits, "max": self.maxDigits},
            )
        return self


class RetryConfig(StrictModel):
    """`maxRetries` (default 2): attempts after the first, so 2 = up to 3 tries."""

    maxRetries: int = Field(2, ge=0, le=20)


class DtmfConfig(StrictModel):
    """Defaults: mode `single_digit`, `timeout` 5000 ms (wait for the first key
    after the prompt), no variable, no prompt, retry.maxRetries 2."""

    mode: Literal["single_digit", "multi_digit"] = "single_digit"
    variable: VariableName | None = None
    timeout: int = Field(5000, ge=1)
    singleDigitConfig: SingleDigitConfig = SingleDigitConfig()
    multiDigitConfig: MultiDigitConfig = MultiDigitConfig()
    retry: RetryConfig = RetryConfig()
    prompt: list[AudioItem] = Field(default_factory=list)
    invalidPrompt: list[AudioItem] = Field(default_factory=list)


class RecordConfig(StrictModel):
    """Defaults: maxDuration 60000 ms, silenceTimeout 5000 ms, beep true, no
    finishOnKey; `variable` receives the recording id."""

    variable: VariableName | None = None
    maxDuration: int = Field(60000, ge=1)
    silenceTimeout: int = Field(5000, ge=0)
    beep: bool = True
    finishOnKey: str | None = None

    @field_validator("finishOnKey")
    @classmethod
    def _keys(cls, value: str | None) -> str | None:
        return None if value is None else _check_keys(value, "finishOnKey")


Operator = Literal["eq", "neq", "gt", "lt", "gte", "lte", "contains", "startsWith", "endsWith"]


class Comparison(StrictModel):
    left: ValueSource
    operator: Operator
    right: ValueSource


class ConditionGroup(StrictModel):
    logic: Literal["and", "or"]
    conditions: list[ConditionExpr] = Field(min_length=1)


def _condition_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "group" if "logic" in value or "conditions" in value else "comparison"
    return "group" if isinstance(value, ConditionGroup) else "comparison"


ConditionExpr = Annotated[
    Annotated[Comparison, Tag("comparison")] | Annotated[ConditionGroup, Tag("group")],
    Discriminator(_condition_kind),
]
ConditionGroup.model_rebuild()


class SetVariableConfig(StrictModel):
    variable: VariableName
    value: ValueSource


class HangupConfig(StrictModel):
    """`reason` (default `completed`), `hangupType` (default `normal`)."""

    reason: str = "completed"
    hangupType: str = "normal"


# ---- nodes ---------------------------------------------------------------------


class _Node(StrictModel):
    id: str = Field(min_length=1, max_length=200)
    label: str | None = None
    outputs: Outputs = Field(default_factory=dict)

    def target(self, output: str) -> str | None:
        value = self.outputs.get(output)
        return value if isinstance(value, str) else None


class DialNode(_Node):
    type: Literal["dial"]
    config: DialConfig = DialConfig()


class AnswerNode(_Node):
    type: Literal["answer"]
    config: AnswerConfig = AnswerConfig()


class PlayNode(_Node):
    type: Literal["play"]
    config: PlayConfig = PlayConfig()


class DtmfNode(_Node):
    type: Literal["dtmf"]
    config: DtmfConfig = DtmfConfig()
    branches: dict[str, str] = Field(default_factory=dict)

    def all_branches(self) -> dict[str, str]:
        inner = self.outputs.get("branches")
        return {**self.branches, **(inner if isinstance(inner, dict) else {})}


class RecordNode(_Node):
    type: Literal["record"]
    config: RecordConfig = RecordConfig()


class ConditionNode(_Node):
    type: Literal["condition"]
    config: ConditionExpr


class SetVariableNode(_Node):
    type: Literal["set_variable"]
    config: SetVariableConfig


class HangupNode(_Node):
    type: Literal["hangup"]
    config: HangupConfig = HangupConfig()


Node = Annotated[
    DialNode
    | AnswerNode
    | PlayNode
    | DtmfNode
    | RecordNode
    | ConditionNode
    | SetVariableNode
    | HangupNode,
    Field(discriminator="type"),
]
NODE_ADAPTER: TypeAdapter[Node] = TypeAdapter(Node)


class FlowGraph(StrictModel):
    """A parsed graph. Build it with `FlowGraph.from_json` (accepts the map form)
    or, with graph-level checks, `ringcast.flow.validation.validate_graph`."""

    startNodeId: str = Field(min_length=1)
    nodes: list[Node]
    maxCallDurationSec: int | None = Field(default=None, ge=10, le=7200)
    """Bound on the whole call; past it the call ends `max_duration` (default 1 h)."""

    @model_validator(mode="before")
    @classmethod
    def _nodes_as_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("nodes"), dict):
            return {**data, "nodes": nodes_from_map(data["nodes"])}
        return data

    @classmethod
    def from_json(cls, data: Any) -> FlowGraph:
        return cls.model_validate(data)

    def node_map(self) -> dict[str, Node]:
        return {node.id: node for node in self.nodes}


def nodes_from_map(nodes: dict[str, Any]) -> list[Any]:
    """The map form `{id: node}` as a list; a node without `id` takes its key."""
    listed: list[Any] = []
    for key, node in nodes.items():
        if isinstance(node, dict) and "id" not in node:
            node = {"id": key, **node}
        listed.append(node)
    return listed


NODE_TYPES: tuple[str, ...] = tuple(OUTPUTS)
