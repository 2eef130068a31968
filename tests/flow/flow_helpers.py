"""Helpers for flow tests: build graphs tersely, drive the pure interpreter by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ringcast.flow import interpreter
from ringcast.flow.compiled import CompiledFlow
from ringcast.flow.context import RunContext
from ringcast.flow.events import Action, FlowEvent, SetTimer, TimerFired
from ringcast.flow.validation import validate_graph

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

CONTACT: dict[str, Any] = {
    "id": "contact-1",
    "primaryPhone": "+212612345678",
    "firstName": "Amina",
    "lastName": "Haddad",
    "city": "Rabat",
    "channels": ["voice", "sms"],
    "customAttributes": {"balance": 1523, "dueDate": "2026-12-01", "vip": True},
}


def node(
    node_id: str, type_: str, outputs: dict[str, Any] | None = None, **config: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": node_id, "type": type_}
    if config:
        out["config"] = config
    if outputs:
        out["outputs"] = outputs
    return out


def graph(*nodes: dict[str, Any], start: str | None = None) -> dict[str, Any]:
    return {"startNodeId": start or nodes[0]["id"], "nodes": list(nodes)}


def lit(value: Any) -> dict[str, Any]:
    return {"source": "literal", "value": value}


def audio(audio_id: str = "a1") -> dict[str, Any]:
    return {"type": "audioFile", "audioId": audio_id}


def compiled(graph_json: dict[str, Any]) -> CompiledFlow:
    result = validate_graph(graph_json)
    assert result.graph is not None, [e.to_dict() for e in result.errors]
    return CompiledFlow.of(result.graph)


class Harness:
    """Runs the interpreter by hand: `send(event, after_ms)`, `fire()` the timer."""

    def __init__(
        self, graph_json: dict[str, Any], contact: dict[str, Any] | None = None, **ctx: Any
    ) -> None:
        self.flow = compiled(graph_json)
        self.ms = 0
        context = RunContext(
            call_id="call-1", contact=CONTACT if contact is None else contact, **ctx
        )
        self.state, self.actions = interpreter.start(self.flow, context, self.now())
        self.history: list[Action] = list(self.actions)

    def now(self) -> datetime:
        return T0 + timedelta(milliseconds=self.ms)

    def send(self, event: FlowEvent, after_ms: int = 0) -> list[Action]:
        self.ms += after_ms
        self.state, self.actions = interpreter.step(self.state, event, self.now())
        self.history.extend(self.actions)
        return self.actions

    def fire(self) -> list[Action]:
        """Fire the timer the run is waiting on, after its delay."""
        timer_id = self.state.active_timer
        assert timer_id is not None, "no timer is armed"
        delay = next(
            a.delay_ms
            for a in reversed(self.history)
            if isinstance(a, SetTimer) and a.timer_id == timer_id
        )
        return self.send(TimerFired(timer_id), after_ms=delay)

    def of(self, kind: type) -> list[Any]:
        return [a for a in self.history if isinstance(a, kind)]

    @property
    def path(self) -> list[tuple[str, str | None]]:
        return [(p.node_id, p.output_path) for p in self.state.trace.execution_path]

    @property
    def outcome(self) -> tuple[str | None, str | None]:
        return self.state.trace.outcome, self.state.trace.outcome_reason

    @property
    def event_types(self) -> list[str]:
        return [e.type for e in self.state.trace.event_log]

    @property
    def variables(self) -> dict[str, Any]:
        return self.state.variables
