"""Graph validation: each rule, with the path it reports."""

from __future__ import annotations

from typing import Any

import pytest

from flow.flow_helpers import audio, graph, lit, node
from ringcast.flow.examples import payment_reminder_graph
from ringcast.flow.graph import FlowGraph
from ringcast.flow.validation import MissingResources, validate_graph, validate_graph_async

H = node("h", "hangup")


def codes(g: Any, **kw: Any) -> dict[str, str]:
    """path → code of every error."""
    return {e.path: e.code for e in validate_graph(g, **kw).errors}


def test_the_payment_reminder_is_valid() -> None:
    result = validate_graph(payment_reminder_graph())
    assert result.ok
    assert isinstance(result.graph, FlowGraph)
    assert [w.path for w in result.warnings] == ["graph.nodes[2].outputs.onSuccess"]


def test_nodes_as_a_map_are_accepted_and_paths_use_ids() -> None:
    g = {
        "startNodeId": "d",
        "nodes": {"d": {"type": "dial", "outputs": {"onAnswer": "h"}}, "h": {"type": "hangup"}},
    }
    result = validate_graph(g)
    assert result.ok
    assert result.graph is not None
    assert [n.id for n in result.graph.nodes] == ["d", "h"]
    assert FlowGraph.from_json(g).node_map().keys() == {"d", "h"}
    g["nodes"]["d"]["config"] = {"timeout": -5}  # type: ignore[index]
    assert codes(g) == {"graph.nodes.d.config.timeout": "greater_than_equal"}


def test_map_key_and_id_must_agree() -> None:
    g = {"startNodeId": "h", "nodes": {"h": {"id": "x", "type": "hangup"}}}
    assert codes(g)["graph.nodes.h.id"] == "id_mismatch"


def test_unknown_node_type() -> None:
    g = graph(node("d", "dial", {"onAnswer": "x"}), {"id": "x", "type": "transfer"})
    assert codes(g) == {"graph.nodes[1].type": "unknown_node_type"}


def test_missing_node_type() -> None:
    assert codes(graph({"id": "x"})) == {"graph.nodes[0].type": "missing"}


@pytest.mark.parametrize(
    ("bad_node", "path", "code"),
    [
        (node("x", "dial", timeout=-1), "config.timeout", "greater_than_equal"),
        (node("x", "dial", ringTime=5), "config.ringTime", "extra_forbidden"),
        (node("x", "dial", amd={"greeting": -3}), "config.amd.greeting", "greater_than_equal"),
        (node("x", "record", silenceTimeout=-1), "config.silenceTimeout", "greater_than_equal"),
        (
            node("x", "dtmf", singleDigitConfig={"allowedDigits": ["1", "A"]}),
            "config.singleDigitConfig.allowedDigits",
            "dtmf_key",
        ),
        (
            node("x", "dtmf", singleDigitConfig={"allowedDigits": ["12"]}),
            "config.singleDigitConfig.allowedDigits",
            "dtmf_key",
        ),
        (
            node(
                "x", "dtmf", mode="multi_digit", multiDigitConfig={"minDigits": 5, "maxDigits": 2}
            ),
            "config.multiDigitConfig",
            "min_exceeds_max",
        ),
        (node("x", "dtmf", mode="menu"), "config.mode", "literal_error"),
        (node("x", "dtmf", variable="sys.callId"), "config.variable", "variable_name"),
        (
            node("x", "play", audioItems=[{"type": "tts", "text": "hi"}]),
            "config.audioItems[0].type",
            "unknown_type",
        ),
        (
            node("x", "play", audioItems=[{"type": "number", "value": {"source": "env"}}]),
            "config.audioItems[0].value.source",
            "unknown_source",
        ),
        (
            node("x", "play", audioItems=[{"type": "word", "word": "a", "extra": 1}]),
            "config.audioItems[0].extra",
            "extra_forbidden",
        ),
        (
            node("x", "set_variable", variable="v", value={"source": "literal", "value": [1]}),
            "config.value.value",
            "literal_type",
        ),
        (
            node("x", "set_variable", variable="v", value={"source": "contactField", "field": "x"}),
            "config.value.field",
            "literal_error",
        ),
        (
            node("x", "condition", left=lit(1), operator="like", right=lit(2)),
            "config.operator",
            "literal_error",
        ),
        (
            node("x", "condition", logic="and", conditions=[{"left": lit(1)}]),
            "config.conditions[0].operator",
            "missing",
        ),
        ({"id": "x", "type": "hangup", "position": {"x": 1}}, "position", "extra_forbidden"),
    ],
)
def test_malformed_config_points_at_the_field(
    bad_node: dict[str, Any], path: str, code: str
) -> None:
    g = graph(bad_node)
    assert codes(g).get(f"graph.nodes[0].{path}") == code, codes(g)


def test_duplicate_ids() -> None:
    g = graph(node("d", "dial", {"onAnswer": "h"}), H, node("h", "hangup"))
    assert codes(g) == {"graph.nodes[2].id": "duplicate_id"}


def test_missing_start_node() -> None:
    assert codes(graph(H, start="nope")) == {"graph.startNodeId": "start_node_missing"}
    assert codes({"nodes": [H]}) == {"graph.startNodeId": "missing"}


def test_output_to_a_missing_node() -> None:
    g = graph(node("d", "dial", {"onAnswer": "h", "onBusy": "ghost"}), H)
    result = validate_graph(g)
    assert codes(g) == {"graph.nodes[0].outputs.onBusy": "unknown_target"}
    assert result.field_errors() == {
        "graph.nodes[0].outputs.onBusy": ["output goes to missing node 'ghost'"]
    }
    assert result.field_details()["graph.nodes[0].outputs.onBusy"] == [
        {"code": "unknown_target", "params": {"target": "ghost"}}
    ]


@pytest.mark.parametrize(
    ("n", "output"),
    [
        (node("x", "play", {"onAnswer": "h"}), "onAnswer"),
        (node("x", "hangup", {"default": "h"}), "default"),
        (
            node("x", "condition", {"onSuccess": "h"}, left=lit(1), operator="eq", right=lit(1)),
            "onSuccess",
        ),
        (node("x", "play", {"branches": {"1": "h"}}), "branches"),
    ],
)
def test_output_name_the_type_lacks(n: dict[str, Any], output: str) -> None:
    assert codes(graph(n, H)).get(f"graph.nodes[0].outputs.{output}") == "unknown_output"


def test_branch_digit_not_allowed() -> None:
    menu = node(
        "m",
        "dtmf",
        {"branches": {"1": "h", "5": "h"}, "onSuccess": "h"},
        singleDigitConfig={"allowedDigits": ["1", "2"]},
    )
    assert codes(graph(menu, H)) == {
        "graph.nodes[0].outputs.branches.5": "branch_digit_not_allowed"
    }
    top_level = {**node("m", "dtmf", {"onSuccess": "h"}), "branches": {"AB": "h"}}
    assert codes(graph(top_level, H)) == {"graph.nodes[0].branches.AB": "branch_digit_not_allowed"}
    multi = node(
        "m",
        "dtmf",
        {"branches": {"123": "h", "12345": "h"}},
        mode="multi_digit",
        multiDigitConfig={"minDigits": 2, "maxDigits": 4},
    )
    assert codes(graph(multi, H)) == {
        "graph.nodes[0].outputs.branches.12345": "branch_digit_not_allowed"
    }


def test_unreachable_node() -> None:
    g = graph(node("d", "dial", {"onAnswer": "h"}), H, node("orphan", "play", {"onComplete": "h"}))
    assert codes(g) == {"graph.nodes[2]": "unreachable"}


def test_reachable_only_through_a_branch_or_default_counts() -> None:
    g = graph(
        node("m", "dtmf", {"branches": {"1": "a"}, "default": "b"}),
        node("a", "hangup"),
        node("b", "hangup"),
    )
    assert validate_graph(g).ok


def test_no_path_to_an_end() -> None:
    loop = graph(
        node("a", "set_variable", {"default": "b"}, variable="x", value=lit(1)),
        node("b", "set_variable", {"onSuccess": "a", "onError": "a"}, variable="y", value=lit(2)),
    )
    assert codes(loop) == {"graph": "no_path_to_end"}
    # An unwired output is an end: the call ends normally there.
    open_loop = graph(
        node("a", "set_variable", {"onSuccess": "b"}, variable="x", value=lit(1)),
        node("b", "set_variable", {"onSuccess": "a", "onError": "a"}, variable="y", value=lit(2)),
    )
    assert validate_graph(open_loop).ok


def test_dtmf_reprompt_outputs_are_not_ends() -> None:
    g = graph(node("m", "dtmf", {"onSuccess": "m", "onMaxRetries": "m", "onError": "m"}))
    assert codes(g) == {"graph": "no_path_to_end"}


def test_missing_audio_and_dictionaries_via_the_checker() -> None:
    items = [
        audio("a-ok"),
        audio("a-gone"),
        {"type": "word", "word": "dh", "dictionaryId": "d-gone"},
    ]
    g = graph(
        node("p", "play", {"onComplete": "m"}, audioItems=items),
        node(
            "m", "dtmf", {"onSuccess": "h"}, prompt=[audio("a-gone")], invalidPrompt=[audio("a-ok")]
        ),
        H,
    )
    seen: list[tuple[frozenset[str], frozenset[str]]] = []

    def checker(audio_ids: frozenset[str], dictionary_ids: frozenset[str]) -> MissingResources:
        seen.append((audio_ids, dictionary_ids))
        return MissingResources(audio_ids - {"a-ok"}, dictionary_ids)

    assert codes(g, resources=checker) == {
        "graph.nodes[0].config.audioItems[1].audioId": "audio_not_found",
        "graph.nodes[1].config.prompt[0].audioId": "audio_not_found",
        "graph.nodes[0].config.audioItems[2].dictionaryId": "dictionary_not_found",
    }
    assert seen == [(frozenset({"a-ok", "a-gone"}), frozenset({"d-gone"}))]
    assert validate_graph(g).ok  # without a checker, ids are not checked


async def test_async_checker() -> None:
    g = graph(node("p", "play", {"onComplete": "h"}, audioItems=[audio("x")]), H)

    async def checker(
        audio_ids: frozenset[str], dictionary_ids: frozenset[str]
    ) -> MissingResources:
        return MissingResources(audio_ids, frozenset())

    result = await validate_graph_async(g, resources=checker)
    assert [e.code for e in result.errors] == ["audio_not_found"]
    assert result.graph is None


def test_unwired_outputs_are_warnings_not_errors() -> None:
    g = graph(
        node("d", "dial", {"onAnswer": "m"}),
        node("m", "dtmf", {"onSuccess": "h", "default": "h"}),
        H,
    )
    result = validate_graph(g)
    assert result.ok
    assert [w.path for w in result.warnings] == [
        f"graph.nodes[0].outputs.{name}"
        for name in ("onVoicemail", "onNoAnswer", "onBusy", "onRejected", "onError")
    ]
    assert {w.code for w in result.warnings} == {"unwired_output"}


def test_envelope_shape_errors() -> None:
    assert codes([]) == {"graph": "type_error"}
    assert codes({"startNodeId": "a", "nodes": "x"}) == {
        "graph.nodes": "type_error",
        "graph.startNodeId": "start_node_missing",
    }
    assert codes({"startNodeId": "h", "nodes": [H], "version": 2}) == {
        "graph.version": "extra_forbidden"
    }


def test_one_bad_node_does_not_hide_the_others() -> None:
    g = graph(
        node("d", "dial", {"onAnswer": "p", "onBusy": "nowhere"}),
        node("p", "play", {"onComplete": "h"}, bargeIn="sometimes"),
        H,
    )
    assert codes(g) == {
        "graph.nodes[0].outputs.onBusy": "unknown_target",
        "graph.nodes[1].config.bargeIn": "bool_parsing",
    }


def test_max_call_duration_is_checked_and_kept() -> None:
    from ringcast.flow.validation import validate_graph

    base = {"startNodeId": "b", "nodes": [{"id": "b", "type": "hangup", "outputs": {}}]}
    ok = validate_graph({**base, "maxCallDurationSec": 600})
    assert ok.graph is not None and ok.graph.maxCallDurationSec == 600
    assert validate_graph({**base, "maxCallDurationSec": None}).graph is not None
    for bad in (5, 7201, "600", True):
        result = validate_graph({**base, "maxCallDurationSec": bad})
        assert result.graph is None
        assert [e.path for e in result.errors] == ["graph.maxCallDurationSec"]
