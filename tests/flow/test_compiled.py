"""compile_flow: a graph indexed for running, and what it references."""

from __future__ import annotations

import pytest

from flow.flow_helpers import graph, node
from ringcast.flow import FlowValidationError, compile_flow, validate_graph


def test_references_match_the_validators() -> None:
    data = graph(
        node(
            "p",
            "play",
            {"onComplete": "m"},
            audioItems=[
                {"type": "audioFile", "audioId": "intro"},
                {"type": "word", "word": "dirhams", "dictionaryId": "dict-1"},
            ],
        ),
        node(
            "m",
            "dtmf",
            {"onSuccess": "h"},
            prompt=[{"type": "audioFile", "audioId": "menu"}],
            invalidPrompt=[{"type": "audioFile", "audioId": "intro"}],
        ),
        node("h", "hangup"),
    )
    flow = compile_flow(data)
    assert flow.audio_ids == {"intro", "menu"}
    assert flow.dictionary_ids == {"dict-1"}
    result = validate_graph(data)
    assert set(result.audio_refs) == flow.audio_ids
    assert result.audio_refs["intro"] == [
        "graph.nodes[0].config.audioItems[0].audioId",
        "graph.nodes[1].config.invalidPrompt[0].audioId",
    ]
    assert [(r.kind, r.id, r.path) for r in flow.references()][-1] == (
        "audio",
        "intro",
        "config.invalidPrompt[0].audioId",
    )
    assert compile_flow(flow) is flow


def test_an_invalid_graph_does_not_compile() -> None:
    with pytest.raises(FlowValidationError) as err:
        compile_flow(graph(node("p", "play", {"onComplete": "nowhere"})))
    assert err.value.result.errors[0].code == "unknown_target"
