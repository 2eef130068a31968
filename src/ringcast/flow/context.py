"""What a run knows about its call, and how a `ValueSource` is read from it.

`RunContext` is the immutable input of a run (who is called, from which number,
the contact as API fields + `customAttributes`, ids for `sys.*`, limits).
`resolve_value` reads one `ValueSource` against the context, the run's flow
variables and the live call facts (`CallFacts`). A value that is not there (no
such attribute, field or variable) resolves to `MISSING`, which is distinct from
a present `null`; what a missing value means is the caller's business (a
condition takes `onError`, a Set Variable takes `onError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from ringcast.flow.values import (
    ContactFieldSource,
    CustomAttributeSource,
    FlowVariableSource,
    LiteralSource,
    SystemVariableSource,
    ValueSource,
)

Direction = Literal["outbound", "inbound"]
DEFAULT_NODE_BUDGET: Final = 500
DEFAULT_MAX_CALL_MS: Final = 3600 * 1000


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


@dataclass(frozen=True, slots=True)
class RunContext:
    """Inputs of one run. `contact` uses the API's camelCase field names.

    `to_number` defaults to the contact's `primaryPhone`; `node_budget` (node
    executions before the run fails with `node_budget_exceeded`) defaults to 500;
    `max_call_ms` bounds a whole call (default 1 h; a flow's `maxCallDurationSec`
    overrides it) so no run can wait forever.
    """

    call_id: str
    contact: Mapping[str, Any] = field(default_factory=dict)
    direction: Direction = "outbound"
    from_number: str = ""
    to_number: str | None = None
    organization_id: str | None = None
    program_id: str | None = None
    flow_id: str | None = None
    flow_name: str | None = None
    flow_version: int | None = None
    node_budget: int = DEFAULT_NODE_BUDGET
    max_call_ms: int = DEFAULT_MAX_CALL_MS
    variables: Mapping[str, Any] = field(default_factory=dict)
    """Initial flow variables (e.g. passed by a program)."""

    @property
    def callee_number(self) -> str | None:
        phone = self.to_number or self.contact.get("primaryPhone")
        return phone if isinstance(phone, str) and phone else None

    @property
    def contact_name(self) -> str | None:
        full = self.contact.get("fullName")
        if isinstance(full, str) and full:
            return full
        parts = [self.contact.get(k) for k in ("firstName", "lastName")]
        name = " ".join(p for p in parts if isinstance(p, str) and p)
        return name or None


@dataclass(frozen=True, slots=True)
class CallFacts:
    """The live facts `sys.callStatus` and `sys.answeredBy` read."""

    status: str
    answered_by: str | None


def resolve_value(
    source: ValueSource, ctx: RunContext, variables: Mapping[str, Any], call: CallFacts
) -> Any:
    """The value `source` names, or `MISSING`."""
    if isinstance(source, LiteralSource):
        return source.value
    if isinstance(source, FlowVariableSource):
        return variables.get(source.name, MISSING)
    if isinstance(source, ContactFieldSource):
        return ctx.contact.get(source.field, MISSING)
    if isinstance(source, CustomAttributeSource):
        attrs = ctx.contact.get("customAttributes")
        if not isinstance(attrs, Mapping):
            return MISSING
        return attrs.get(source.attributeName, MISSING)
    if isinstance(source, SystemVariableSource):
        return system_variable(source.name, ctx, call)
    raise TypeError(f"unknown value source {source!r}")  # pragma: no cover - closed union


def system_variable(name: str, ctx: RunContext, call: CallFacts) -> Any:
    """`sys.*` values; an id the run does not have (e.g. no program) is `None`."""
    match name:
        case "sys.callId":
            return ctx.call_id
        case "sys.callStatus":
            return call.status
        case "sys.callDirection":
            return ctx.direction
        case "sys.answeredBy":
            return call.answered_by
        case "sys.contactId":
            return ctx.contact.get("id")
        case "sys.contactPhone":
            return ctx.callee_number
        case "sys.contactName":
            return ctx.contact_name
        case "sys.organizationId":
            return ctx.organization_id
        case "sys.programId":
            return ctx.program_id
    return MISSING
