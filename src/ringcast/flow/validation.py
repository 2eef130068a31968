"""Graph validation on save: every problem, each with a path into the submitted JSON.

`validate_graph(data)` takes the graph as parsed JSON and returns a
`ValidationResult`: `errors` (the save must be refused), `warnings` (unwired
outputs, returned with the saved flow) and, when there are no errors, the parsed
`FlowGraph`. Each issue is `{path, code, message, params}` where `path` points at
the node and field as submitted: `graph.nodes[3].outputs.onBusy` for a list,
`graph.nodes.dial-1.config.timeout` for the map form.

It runs in passes so one bad node does not hide the others' problems: shape of the
envelope; each node parsed alone (pydantic errors rewritten into paths); ids;
wiring; reachability from the start; a path to an end (a hangup, or a node with an
unwired output — an unwired output ends the call normally); and audio/dictionary
ids through an injected `ResourceChecker`, so this module never touches a store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ringcast.flow.graph import DTMF_KEYS, NODE_ADAPTER, DtmfNode, FlowGraph, Node
from ringcast.flow.issues import Issue, issues_from_pydantic


class FlowValidationError(Exception):
    """The graph (or a simulate script) is invalid; `result` holds the field errors."""

    def __init__(self, result: ValidationResult) -> None:
        super().__init__(f"{len(result.errors)} validation error(s)")
        self.result = result


@dataclass(frozen=True, slots=True)
class MissingResources:
    audio_ids: frozenset[str] = frozenset()
    dictionary_ids: frozenset[str] = frozenset()


ResourceChecker = Callable[[frozenset[str], frozenset[str]], MissingResources]
"""(audio ids, dictionary ids) referenced by the graph → those that do not exist."""
AsyncResourceChecker = Callable[[frozenset[str], frozenset[str]], Awaitable[MissingResources]]


@dataclass(slots=True)
class ValidationResult:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    graph: FlowGraph | None = None
    audio_refs: dict[str, list[str]] = field(default_factory=dict)
    """audio id → paths that reference it."""
    dictionary_refs: dict[str, list[str]] = field(default_factory=dict)
    trunk_refs: dict[str, list[str]] = field(default_factory=dict)
    """trunk id → paths (a Forward node's `trunkId`)."""
    sip_hosts: dict[str, list[str]] = field(default_factory=dict)
    """host → paths (a Forward node's `sip:` targets)."""

    @property
    def ok(self) -> bool:
        return not self.errors

    def field_errors(self) -> dict[str, list[str]]:
        """The error envelope's `fieldErrors`: path → messages."""
        out: dict[str, list[str]] = {}
        for issue in self.errors:
            out.setdefault(issue.path, []).append(issue.message)
        return out

    def field_details(self) -> dict[str, list[dict[str, Any]]]:
        """The error envelope's `fieldDetails`: path → [{code, params}]."""
        out: dict[str, list[dict[str, Any]]] = {}
        for issue in self.errors:
            out.setdefault(issue.path, []).append({"code": issue.code, "params": issue.params})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.ok,
            "errors": [i.to_dict() for i in self.errors],
            "warnings": [i.to_dict() for i in self.warnings],
        }

    def apply_missing(self, missing: MissingResources) -> None:
        """Add errors for referenced resources the store does not have."""
        for kind, refs, absent in (
            ("audio", self.audio_refs, missing.audio_ids),
            ("dictionary", self.dictionary_refs, missing.dictionary_ids),
        ):
            for rid in sorted(absent):
                for path in refs.get(rid, []):
                    self.errors.append(
                        Issue(
                            path, f"{kind}_not_found", f"{kind} {rid!r} does not exist", {"id": rid}
                        )
                    )
        if self.errors:
            self.graph = None


def validate_graph(
    data: Any, *, resources: ResourceChecker | None = None, prefix: str = "graph"
) -> ValidationResult:
    """Validate a graph (parsed JSON). `resources` checks audio/dictionary ids."""
    result = _validate_structure(data, prefix)
    if resources is not None and (result.audio_refs or result.dictionary_refs):
        result.apply_missing(
            resources(frozenset(result.audio_refs), frozenset(result.dictionary_refs))
        )
    return result


async def validate_graph_async(
    data: Any, *, resources: AsyncResourceChecker, prefix: str = "graph"
) -> ValidationResult:
    """`validate_graph` with an async resource checker (e.g. a DB query)."""
    result = _validate_structure(data, prefix)
    if result.audio_refs or result.dictionary_refs:
        missing = await resources(frozenset(result.audio_refs), frozenset(result.dictionary_refs))
        result.apply_missing(missing)
    return result


# ---- passes ----------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    path: str
    raw: Any
    node: Node | None = None


def _validate_structure(data: Any, prefix: str) -> ValidationResult:
    result = ValidationResult()
    errors = result.errors
    if not isinstance(data, dict):
        errors.append(Issue(prefix, "type_error", "a graph is an object {startNodeId, nodes}"))
        return result
    for key in data:
        if key not in ("startNodeId", "nodes", "maxCallDurationSec"):
            errors.append(
                Issue(f"{prefix}.{key}", "extra_forbidden", "Extra inputs are not permitted")
            )
    max_call = data.get("maxCallDurationSec")
    if max_call is not None and (
        isinstance(max_call, bool) or not isinstance(max_call, int) or not 10 <= max_call <= 7200
    ):
        errors.append(
            Issue(
                f"{prefix}.maxCallDurationSec",
                "out_of_range",
                "maxCallDurationSec is a whole number of seconds from 10 to 7200",
            )
        )
        max_call = None
    start = data.get("startNodeId")
    if not isinstance(start, str) or not start:
        errors.append(
            Issue(f"{prefix}.startNodeId", "missing", "startNodeId is required (a node id)")
        )
        start = None
    entries = _entries(data.get("nodes"), prefix, errors)

    ids: dict[str, _Entry] = {}
    for entry in entries:
        raw_id = entry.raw.get("id") if isinstance(entry.raw, dict) else None
        try:
            entry.node = NODE_ADAPTER.validate_python(entry.raw)
        except ValidationError as exc:
            errors.extend(issues_from_pydantic(exc, entry.path))
        if isinstance(raw_id, str) and raw_id:
            if raw_id in ids:
                errors.append(
                    Issue(
                        f"{entry.path}.id",
                        "duplicate_id",
                        f"duplicate node id {raw_id!r}",
                        {"id": raw_id},
                    )
                )
            else:
                ids[raw_id] = entry
    if start is not None and start not in ids:
        errors.append(
            Issue(
                f"{prefix}.startNodeId",
                "start_node_missing",
                f"start node {start!r} is not in nodes",
                {"id": start},
            )
        )
    for entry in entries:
        if entry.node is not None:
            errors.extend(_wiring(entry.node, entry.path, ids))
    if start is not None and start in ids:
        _reachability(start, ids, result, prefix)
    for entry in entries:
        if entry.node is not None:
            _collect_refs(entry.node, entry.path, result)
    if not errors and start is not None:
        nodes = [e.node for e in entries if e.node is not None]
        result.graph = FlowGraph.model_construct(
            startNodeId=start, nodes=nodes, maxCallDurationSec=max_call
        )
    return result


def _entries(nodes: Any, prefix: str, errors: list[Issue]) -> list[_Entry]:
    if isinstance(nodes, list):
        return [_Entry(f"{prefix}.nodes[{i}]", raw) for i, raw in enumerate(nodes)]
    if isinstance(nodes, dict):
        out = []
        for key, raw in nodes.items():
            path = f"{prefix}.nodes.{key}"
            if isinstance(raw, dict):
                if "id" not in raw:
                    raw = {"id": key, **raw}
                elif raw["id"] != key:
                    errors.append(
                        Issue(
                            f"{path}.id",
                            "id_mismatch",
                            f"node id {raw['id']!r} differs from its key {key!r}",
                            {"id": raw["id"], "key": key},
                        )
                    )
            out.append(_Entry(path, raw))
        return out
    errors.append(
        Issue(
            f"{prefix}.nodes",
            "missing" if nodes is None else "type_error",
            "nodes is a list of nodes or a map keyed by node id",
        )
    )
    return []


def _wiring(node: Node, path: str, ids: dict[str, _Entry]) -> Iterator[Issue]:
    allowed = node.OUTPUTS
    for name, target in node.outputs.items():
        out_path = f"{path}.outputs.{name}"
        if name == "branches" and isinstance(node, DtmfNode):
            continue  # checked with the top-level branches below
        if name not in allowed and (name != "default" or node.TERMINAL):
            yield Issue(
                out_path,
                "unknown_output",
                f"a {node.type} node has no output {name!r}",
                {"output": name, "nodeType": node.type, "allowed": list(allowed)},
            )
        elif not isinstance(target, str):
            yield Issue(out_path, "invalid_output", "an output is a node id")
        elif target not in ids:
            yield Issue(
                out_path,
                "unknown_target",
                f"output goes to missing node {target!r}",
                {"target": target},
            )
    if isinstance(node, DtmfNode):
        inner = node.outputs.get("branches", {})
        yield from _branches(node, node.branches, f"{path}.branches", ids)
        yield from _branches(
            node, inner if isinstance(inner, dict) else {}, f"{path}.outputs.branches", ids
        )


def _branches(
    node: DtmfNode, branches: dict[str, str], path: str, ids: dict[str, _Entry]
) -> Iterator[Issue]:
    config = node.config
    allowed = config.singleDigitConfig.allowedDigits or sorted(DTMF_KEYS)
    multi = config.multiDigitConfig
    for digits, target in branches.items():
        if config.mode == "single_digit":
            ok = digits in allowed
        else:
            ok = multi.minDigits <= len(digits) <= multi.maxDigits and all(
                k in DTMF_KEYS and k != multi.terminator for k in digits
            )
        if not ok:
            if config.mode == "single_digit":
                params: dict[str, Any] = {"digits": digits, "allowedDigits": list(allowed)}
            else:
                params = {
                    "digits": digits,
                    "minDigits": multi.minDigits,
                    "maxDigits": multi.maxDigits,
                }
            yield Issue(
                f"{path}.{digits}",
                "branch_digit_not_allowed",
                f"branch {digits!r} can never be entered",
                params,
            )
        if target not in ids:
            yield Issue(
                f"{path}.{digits}",
                "unknown_target",
                f"branch goes to missing node {target!r}",
                {"target": target},
            )


def _targets(entry: _Entry) -> Iterable[str]:
    """Every node an entry can lead to (raw outputs for nodes that failed to parse)."""
    outputs = (
        entry.node.outputs
        if entry.node is not None
        else (entry.raw.get("outputs") if isinstance(entry.raw, dict) else None)
    )
    if isinstance(entry.node, DtmfNode):
        yield from entry.node.branches.values()
    if not isinstance(outputs, dict):
        return
    for value in outputs.values():
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from (v for v in value.values() if isinstance(v, str))


def _is_end(node: Node | None) -> bool:
    if node is None:
        return True  # already an error; don't pile a second one on
    if node.TERMINAL:
        return True
    if "default" in node.outputs:
        return False
    return any(
        name not in node.outputs for name in node.OUTPUTS if name not in node.OPTIONAL_OUTPUTS
    )


def _reachability(
    start: str, ids: dict[str, _Entry], result: ValidationResult, prefix: str
) -> None:
    seen = {start}
    stack = [start]
    while stack:
        for target in _targets(ids[stack.pop()]):
            if target in ids and target not in seen:
                seen.add(target)
                stack.append(target)
    for node_id, entry in ids.items():
        if node_id not in seen:
            result.errors.append(
                Issue(
                    entry.path,
                    "unreachable",
                    f"node {node_id!r} cannot be reached from the start",
                    {"id": node_id},
                )
            )
    if not any(_is_end(ids[n].node) for n in seen):
        result.errors.append(
            Issue(
                prefix,
                "no_path_to_end",
                "no path from the start reaches a hangup or an unwired output",
            )
        )
    for node_id, entry in ids.items():
        node = entry.node
        if node_id not in seen:
            continue
        if node is None or node.TERMINAL or "default" in node.outputs:
            continue
        for name in node.OUTPUTS:
            if name in node.outputs or name in node.OPTIONAL_OUTPUTS:
                continue
            result.warnings.append(
                Issue(
                    f"{entry.path}.outputs.{name}",
                    "unwired_output",
                    f"output {name!r} is not wired: taking it ends the call",
                    {"output": name},
                )
            )


def _collect_refs(node: Node, path: str, result: ValidationResult) -> None:
    for ref in node.references():
        refs = {
            "audio": result.audio_refs,
            "dictionary": result.dictionary_refs,
            "trunk": result.trunk_refs,
            "sip_host": result.sip_hosts,
        }[ref.kind]
        refs.setdefault(ref.id, []).append(f"{path}.{ref.path}")
