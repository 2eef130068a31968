"""A flow ready to run: `compile_flow(graph)` validates (if needed) and indexes it.

`CompiledFlow` is built once per flow version and shared by every call of it
(the dialer compiles an execution's pinned graph once). It also answers what
the flow references (`audio_ids`, `dictionary_ids`), e.g. to preload its clips.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ringcast.flow.graph import FlowGraph, Node
from ringcast.flow.nodes.base import Reference
from ringcast.flow.validation import FlowValidationError, validate_graph


@dataclass(frozen=True, slots=True)
class CompiledFlow:
    """A validated graph indexed for running; build once, run many times."""

    graph: FlowGraph
    nodes: dict[str, Node]

    @classmethod
    def of(cls, graph: FlowGraph) -> CompiledFlow:
        return cls(graph=graph, nodes=graph.node_map())

    @property
    def start_node_id(self) -> str:
        return self.graph.startNodeId

    @property
    def max_call_duration_sec(self) -> int | None:
        return self.graph.maxCallDurationSec

    def references(self) -> list[Reference]:
        """Every audio file and dictionary the nodes use, path relative to the node."""
        return [ref for node in self.graph.nodes for ref in node.references()]

    @property
    def audio_ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.references() if r.kind == "audio")

    @property
    def dictionary_ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.references() if r.kind == "dictionary")


def compile_flow(graph: Mapping[str, Any] | FlowGraph | CompiledFlow) -> CompiledFlow:
    """Validate (if needed) and index a graph for running; raises `FlowValidationError`."""
    if isinstance(graph, CompiledFlow):
        return graph
    if isinstance(graph, FlowGraph):
        return CompiledFlow.of(graph)
    result = validate_graph(graph)
    if result.graph is None:
        raise FlowValidationError(result)
    return CompiledFlow.of(result.graph)
