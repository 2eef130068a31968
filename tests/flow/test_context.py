"""ValueSource resolution from all five sources, and the sys.* variables."""

from __future__ import annotations

from typing import Any

import pytest

from flow.flow_helpers import CONTACT, Harness, graph, lit, node
from ringcast.flow.context import MISSING, CallFacts, RunContext, resolve_value
from ringcast.flow.events import CallAnswered
from ringcast.flow.values import (
    ContactFieldSource,
    CustomAttributeSource,
    FlowVariableSource,
    LiteralSource,
    SystemVariableSource,
)

CTX = RunContext(
    call_id="call-9",
    contact=CONTACT,
    organization_id="org-1",
    program_id="prog-2",
    from_number="+33100000000",
)
CALL = CallFacts(status="answered", answered_by="human")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (CustomAttributeSource(source="customAttribute", attributeName="balance"), 1523),
        (CustomAttributeSource(source="customAttribute", attributeName="nope"), MISSING),
        (ContactFieldSource(source="contactField", field="city"), "Rabat"),
        (ContactFieldSource(source="contactField", field="channels"), ["voice", "sms"]),
        (ContactFieldSource(source="contactField", field="zip"), MISSING),
        (FlowVariableSource(source="flowVariable", name="choice"), "2"),
        (FlowVariableSource(source="flowVariable", name="other"), MISSING),
        (LiteralSource(source="literal", value=None), None),
        (LiteralSource(source="literal", value=3.5), 3.5),
    ],
)
def test_sources(source: Any, expected: Any) -> None:
    assert resolve_value(source, CTX, {"choice": "2"}, CALL) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sys.callId", "call-9"),
        ("sys.callStatus", "answered"),
        ("sys.callDirection", "outbound"),
        ("sys.answeredBy", "human"),
        ("sys.contactId", "contact-1"),
        ("sys.contactPhone", "+212612345678"),
        ("sys.contactName", "Amina Haddad"),
        ("sys.organizationId", "org-1"),
        ("sys.programId", "prog-2"),
    ],
)
def test_system_variables(name: str, expected: Any) -> None:
    source = SystemVariableSource(source="systemVariable", name=name)
    assert resolve_value(source, CTX, {}, CALL) == expected


def test_contact_without_custom_attributes_is_missing_not_an_error() -> None:
    ctx = RunContext(call_id="x", contact={"primaryPhone": "+1"})
    source = CustomAttributeSource(source="customAttribute", attributeName="balance")
    assert resolve_value(source, ctx, {}, CALL) is MISSING


def test_full_name_wins_for_contact_name() -> None:
    ctx = RunContext(call_id="x", contact={**CONTACT, "fullName": "Dr. A. Haddad"})
    source = SystemVariableSource(source="systemVariable", name="sys.contactName")
    assert resolve_value(source, ctx, {}, CALL) == "Dr. A. Haddad"


def test_set_variable_copies_from_every_source_in_a_run() -> None:
    sources = {
        "fromAttr": {"source": "customAttribute", "attributeName": "dueDate"},
        "fromField": {"source": "contactField", "field": "firstName"},
        "fromSys": {"source": "systemVariable", "name": "sys.answeredBy"},
        "fromStatus": {"source": "systemVariable", "name": "sys.callStatus"},
        "fromLiteral": lit(True),
        "fromVar": {"source": "flowVariable", "name": "fromField"},
    }
    names = list(sources)
    nodes = [node("d", "dial", {"onAnswer": names[0], "onVoicemail": names[0]})]
    for i, name in enumerate(names):
        nxt = names[i + 1] if i + 1 < len(names) else "h"
        nodes.append(
            node(name, "set_variable", {"onSuccess": nxt}, variable=name, value=sources[name])
        )
    nodes.append(node("h", "hangup"))
    run = Harness(graph(*nodes), variables={"seed": 1})
    run.send(CallAnswered("machine"))
    assert run.state.trace.final_variables == {
        "seed": 1,
        "fromAttr": "2026-12-01",
        "fromField": "Amina",
        "fromSys": "machine",
        "fromStatus": "answered",
        "fromLiteral": True,
        "fromVar": "Amina",
    }


def test_call_status_before_dialing_is_initiated() -> None:
    g = graph(
        node(
            "s",
            "set_variable",
            {"onSuccess": "h"},
            variable="st",
            value={"source": "systemVariable", "name": "sys.callStatus"},
        ),
        node("h", "hangup"),
    )
    run = Harness(g)
    assert run.variables["st"] == "initiated"
