"""The graph model: node types, outputs table, defaults, both `nodes` forms."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ringcast.flow.graph import (
    NODE_ADAPTER,
    OUTPUTS,
    ConditionGroup,
    DialNode,
    DtmfNode,
    FlowGraph,
    RecordNode,
)


def test_outputs_table_matches_the_api_contract() -> None:
    assert OUTPUTS == {
        "dial": ("onAnswer", "onVoicemail", "onNoAnswer", "onBusy", "onRejected", "onError"),
        "answer": ("onSuccess", "onError"),
        "play": ("onComplete", "onError"),
        "dtmf": ("onSuccess", "onTimeout", "onInvalid", "onMaxRetries", "onError"),
        "record": ("onComplete", "onTimeout", "onError"),
        "condition": ("onTrue", "onFalse", "onError"),
        "set_variable": ("onSuccess", "onError"),
        "hangup": (),
        "forward": ("onCompleted", "onNoAnswer", "onBusy", "onFailed"),
    }


def test_defaults() -> None:
    dial = NODE_ADAPTER.validate_python({"id": "d", "type": "dial"})
    assert isinstance(dial, DialNode)
    assert (dial.config.timeout, dial.config.enableAMD, dial.config.waitForBeep) == (
        30000,
        True,
        False,
    )
    assert dial.config.amd.unknownRoute == "onAnswer"
    assert dial.config.amd.initialSilence == 6000  # issue 20: late starters are heard (was 3500)
    menu = NODE_ADAPTER.validate_python({"id": "m", "type": "dtmf"})
    assert isinstance(menu, DtmfNode)
    assert (menu.config.mode, menu.config.timeout, menu.config.retry.maxRetries) == (
        "single_digit",
        5000,
        2,
    )
    assert menu.config.multiDigitConfig.terminator == "#"
    rec = NODE_ADAPTER.validate_python({"id": "r", "type": "record"})
    assert isinstance(rec, RecordNode)
    assert (rec.config.maxDuration, rec.config.silenceTimeout, rec.config.beep) == (
        60000,
        5000,
        True,
    )


def test_branches_in_outputs_and_top_level_merge() -> None:
    menu = NODE_ADAPTER.validate_python(
        {"id": "m", "type": "dtmf", "branches": {"1": "a"}, "outputs": {"branches": {"2": "b"}}}
    )
    assert isinstance(menu, DtmfNode)
    assert menu.all_branches() == {"1": "a", "2": "b"}
    assert menu.target("branches") is None  # a map is not a single target


def test_nested_condition_groups_parse() -> None:
    lit = {"source": "literal", "value": 1}
    node = NODE_ADAPTER.validate_python(
        {
            "id": "c",
            "type": "condition",
            "config": {
                "logic": "or",
                "conditions": [
                    {"left": lit, "operator": "eq", "right": lit},
                    {"logic": "and", "conditions": [{"left": lit, "operator": "lt", "right": lit}]},
                ],
            },
        }
    )
    assert isinstance(node.config, ConditionGroup)
    assert isinstance(node.config.conditions[1], ConditionGroup)


def test_map_form_and_extra_fields() -> None:
    g = FlowGraph.from_json({"startNodeId": "h", "nodes": {"h": {"type": "hangup"}}})
    assert g.nodes[0].id == "h"
    with pytest.raises(ValidationError):
        FlowGraph.from_json({"startNodeId": "h", "nodes": [], "extra": 1})
