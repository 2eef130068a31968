"""The flow graph as data, and the registry of node types.

A graph is `{startNodeId, nodes}`; `nodes` may be submitted as a list or as a
map keyed by node id and is normalised to a list. Each node is one of the types
in the `Node` union below, a pydantic discriminated union on `type`; each type
is declared once, in its module under `ringcast.flow.nodes` (config model,
outputs, enter function; see `ringcast.flow.nodes.base`). Everything else —
the `OUTPUTS` table, the validator, the interpreter, simulate mode — is derived
from this union, so adding a node type is a new module plus one line here.

Every type but a terminal one (`hangup`) may also have the `default` output,
taken when the specific output is not wired. Parsing a graph here checks shapes
only; graph-level rules (wiring, reachability, resources) are
`ringcast.flow.validation`.
"""

from __future__ import annotations

from typing import Annotated, Any, get_args

from pydantic import Field, TypeAdapter, model_validator

from ringcast.flow.conditions import Comparison, ConditionExpr, ConditionGroup
from ringcast.flow.nodes.answer import AnswerConfig, AnswerNode
from ringcast.flow.nodes.base import DTMF_KEYS, NodeModel, Outputs
from ringcast.flow.nodes.condition import ConditionNode
from ringcast.flow.nodes.dial import AmdConfig, DialConfig, DialNode
from ringcast.flow.nodes.dtmf import (
    DtmfConfig,
    DtmfNode,
    MultiDigitConfig,
    RetryConfig,
    SingleDigitConfig,
)
from ringcast.flow.nodes.forward import ForwardConfig, ForwardNode
from ringcast.flow.nodes.hangup import HangupConfig, HangupNode
from ringcast.flow.nodes.play import PlayConfig, PlayNode
from ringcast.flow.nodes.record import RecordConfig, RecordNode
from ringcast.flow.nodes.set_variable import SetVariableConfig, SetVariableNode
from ringcast.flow.values import StrictModel

Node = Annotated[
    DialNode
    | AnswerNode
    | PlayNode
    | DtmfNode
    | RecordNode
    | ConditionNode
    | SetVariableNode
    | HangupNode
    | ForwardNode,
    Field(discriminator="type"),
]
"""The node types: the one place a new type is registered."""

NODE_CLASSES: tuple[type[NodeModel], ...] = get_args(get_args(Node)[0])
NODE_CLASS: dict[str, type[NodeModel]] = {cls.type_name(): cls for cls in NODE_CLASSES}
NODE_TYPES: tuple[str, ...] = tuple(NODE_CLASS)
OUTPUTS: dict[str, tuple[str, ...]] = {name: cls.OUTPUTS for name, cls in NODE_CLASS.items()}
"""Specific output names per node type (`default` and dtmf `branches` come on top)."""
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


__all__ = [
    "DTMF_KEYS",
    "NODE_ADAPTER",
    "NODE_CLASS",
    "NODE_CLASSES",
    "NODE_TYPES",
    "OUTPUTS",
    "AmdConfig",
    "AnswerConfig",
    "AnswerNode",
    "Comparison",
    "ConditionExpr",
    "ConditionGroup",
    "ConditionNode",
    "DialConfig",
    "DialNode",
    "DtmfConfig",
    "DtmfNode",
    "FlowGraph",
    "ForwardConfig",
    "ForwardNode",
    "HangupConfig",
    "HangupNode",
    "MultiDigitConfig",
    "Node",
    "NodeModel",
    "Outputs",
    "PlayConfig",
    "PlayNode",
    "RecordConfig",
    "RecordNode",
    "RetryConfig",
    "SetVariableConfig",
    "SetVariableNode",
    "SingleDigitConfig",
    "nodes_from_map",
]
