"""A flow drawn as a graph: Graphviz `dot` (the Debian package) renders SVG.

Each node shows its label, type and, for an execution, how many times it ran
(`execution_node_counts`) and, for a DTMF node, how its calls ended it: how
many pressed each key, timed out, gave invalid keys or none
(`execution_key_counts`); each edge its output name. `dot` runs as a child
process with a timeout and a size cap on what it returns; without `dot` on
PATH the page shows the nodes as a list instead (`render` returns None).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from ringcast.flow.graph import nodes_from_map

DOT_TIMEOUT_S = 10.0
MAX_SVG_BYTES = 2_000_000
TYPE_COLOURS = {
    "dial": "#e0eaff",
    "answer": "#e0eaff",
    "play": "#f4f3ff",
    "dtmf": "#fef0c7",
    "record": "#fde7f3",
    "condition": "#eef1f6",
    "set_variable": "#eef1f6",
    "hangup": "#fee4e2",
    "forward": "#dcfae6",
}


def nodes_of(graph: Mapping[str, Any]) -> list[dict[str, Any]]:
    nodes = graph.get("nodes") or []
    listed = nodes_from_map(nodes) if isinstance(nodes, dict) else list(nodes)
    return [n for n in listed if isinstance(n, dict) and isinstance(n.get("id"), str)]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _edges(node: Mapping[str, Any]) -> list[tuple[str, str]]:
    edges = []
    for output, target in (node.get("outputs") or {}).items():
        if isinstance(target, str):
            edges.append((output, target))
        elif isinstance(target, dict):  # dtmf branches: digit → node
            edges += [(f"key {k}", t) for k, t in target.items() if isinstance(t, str)]
    return edges


KEY_ORDER = {"timeout": 1, "invalid": 2, "none": 3}


def key_lines(tally: Mapping[str, int]) -> list[str]:
    """A DTMF node's tallies as label lines: keys first, then the ways without one."""
    ordered = sorted(tally.items(), key=lambda kv: (KEY_ORDER.get(kv[0], 0), kv[0]))
    return [f"{'pressed ' + k if k not in KEY_ORDER else k}: {n}" for k, n in ordered]


def dot_source(
    graph: Mapping[str, Any],
    counts: Mapping[str, int] | None = None,
    keys: Mapping[str, Mapping[str, int]] | None = None,
) -> str:
    lines = [
        "digraph flow {",
        '  graph [rankdir=TB, bgcolor="transparent", fontname="sans-serif"];',
        '  node [shape=box, style="rounded,filled", fontname="sans-serif", fontsize=11];',
        '  edge [fontname="sans-serif", fontsize=9, color="#667085"];',
    ]
    ids = set()
    for node in nodes_of(graph):
        node_id, kind = node["id"], str(node.get("type", "?"))
        ids.add(node_id)
        text = f"{node.get('label') or node_id}\n{kind}"
        if counts is not None:
            text += f"\nran {counts.get(node_id, 0)} times"
        if keys is not None and kind == "dtmf":
            text += "".join(f"\n{line}" for line in key_lines(keys.get(node_id) or {}))
        start = node_id == graph.get("startNodeId")
        lines.append(
            f"  {_quote(node_id)} [label={_quote(text)}, id={_quote('node-' + node_id)}, "
            f'fillcolor="{TYPE_COLOURS.get(kind, "#ffffff")}"'
            + (', penwidth=2, color="#2457c5"' if start else "")
            + "];"
        )
    for node in nodes_of(graph):
        for output, target in _edges(node):
            if target in ids:
                lines.append(
                    f"  {_quote(node['id'])} -> {_quote(target)} [label={_quote(output)}];"
                )
    lines.append("}")
    return "\n".join(lines)


def available() -> bool:
    return shutil.which("dot") is not None


async def render(
    graph: Mapping[str, Any],
    counts: Mapping[str, int] | None = None,
    keys: Mapping[str, Mapping[str, int]] | None = None,
) -> Markup | None:
    """The graph as inline SVG, or None when `dot` is missing or fails."""
    dot = shutil.which("dot")
    if dot is None:
        return None
    process = await asyncio.create_subprocess_exec(
        dot,
        "-Tsvg",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        out, _ = await asyncio.wait_for(
            process.communicate(dot_source(graph, counts, keys).encode()), DOT_TIMEOUT_S
        )
    except TimeoutError:
        process.kill()
        await process.wait()
        return None
    if process.returncode != 0 or len(out) > MAX_SVG_BYTES:
        return None
    svg = out.decode("utf-8", "replace")
    start = svg.find("<svg")
    # dot escapes every label it writes; the XML prolog and DOCTYPE go
    return Markup(svg[start:]) if start >= 0 else None
