"""The export's columns and rows.

Columns are fixed before the first row, so a million rows stream in one pass:
the contact's fields, one `attr:<name>` column per custom attribute of the
organization, the job's results, one `key:<nodeId>` column per DTMF node and
one `var:<name>` column per flow variable any node of the executions' pinned
graphs can set (DTMF, Record and Set-variable nodes' `variable`).

A job's results read its attempts in order: the final outcome is the job's,
the reason and AMD verdict the last attempt's that has one, a DTMF node's keys
are what it collected in the last attempt that ran it (several runs of the node
in one call: space-separated), variables are the last value any attempt left.
Talk time sums the answered time of every attempt. Forward columns read the
attempts' `legs` (the Forward node's agent calls): the last leg's number and
outcome, and the bridged time of every leg.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from ringcast.calls.amd import AmdSummary, amd_summary
from ringcast.calls.exports.repository import JobBundle
from ringcast.flow.graph import DtmfNode, FlowGraph, ForwardNode, RecordNode, SetVariableNode

CONTACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("phone", "primary_phone"),
    ("firstName", "first_name"),
    ("lastName", "last_name"),
    ("fullName", "full_name"),
    ("email", "primary_email"),
    ("address", "address"),
    ("city", "city"),
    ("state", "state"),
    ("zip", "zip"),
    ("occupation", "occupation"),
    ("gender", "gender"),
)
RESULT_COLUMNS = (
    "attempts",
    "jobStatus",
    "finalOutcome",
    "outcomeReason",
    "amdResult",
    "amdReason",
    "amdDecisionMs",
    "firstCallAt",
    "lastCallAt",
    "talkTimeSeconds",
    "forwardedTo",
    "forwardOutcome",
    "forwardTalkTimeSeconds",
)


def _iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class ExportColumns:
    attributes: tuple[str, ...]
    dtmf_nodes: tuple[str, ...]
    variables: tuple[str, ...]
    records: bool = False  # some graph records (Record, Forward): recordings are looked up

    @classmethod
    def build(cls, attributes: Sequence[str], graphs: Sequence[dict[str, Any]]) -> ExportColumns:
        dtmf: dict[str, None] = {}
        variables: dict[str, None] = {}
        records = False
        for raw in graphs:
            try:
                graph = FlowGraph.from_json(raw)
            except ValidationError:
                continue  # a pinned graph was valid when pinned; never fail an export on it
            for node in graph.nodes:
                if isinstance(node, DtmfNode):
                    dtmf[node.id] = None
                records = records or isinstance(node, RecordNode)
                records = records or (isinstance(node, ForwardNode) and node.config.record)
                if isinstance(node, DtmfNode | RecordNode | SetVariableNode):
                    name = node.config.variable
                    if name:
                        variables[name] = None
        return cls(tuple(attributes), tuple(dtmf), tuple(variables), records)

    @property
    def header(self) -> list[str]:
        return [
            "executionId",
            "jobId",
            "contactId",
            *(name for name, _ in CONTACT_COLUMNS),
            *(f"attr:{name}" for name in self.attributes),
            *RESULT_COLUMNS,
            *(f"key:{node}" for node in self.dtmf_nodes),
            *(f"var:{name}" for name in self.variables),
            "recordings",
        ]

    def row(self, bundle: JobBundle, recording_url: str) -> list[object]:
        job, contact = bundle.job, bundle.contact
        custom = (contact.custom_attributes if contact is not None else None) or {}
        reason = None
        amd = AmdSummary(None)
        keys: dict[str, str] = {}
        variables: dict[str, object] = {}
        talk_ms = forward_ms = 0
        last_leg: dict[str, Any] = {}
        for attempt in bundle.attempts:
            for leg in attempt.legs or ():
                last_leg = leg
                forward_ms += leg.get("durationMs") or 0
            reason = attempt.outcome_reason or reason
            talk_ms += attempt.duration_ms or 0
            summary = amd_summary(attempt)
            if summary.answered_by is not None:
                amd = summary
            keys.update(_collected(attempt.events))
            final = (attempt.flow_execution or {}).get("finalVariables") or {}
            if isinstance(final, dict):
                variables.update(final)
        times = [a.dialed_at or a.created_at for a in bundle.attempts]
        return [
            job.execution_id,
            job.id,
            job.contact_id,
            *(
                getattr(contact, attr) if contact is not None else None
                for _, attr in CONTACT_COLUMNS
            ),
            *(_scalar(custom.get(name)) for name in self.attributes),
            job.attempt_count,
            job.status,
            job.final_outcome,
            reason,
            amd.answered_by,
            amd.reason,
            amd.decision_ms,
            _iso(min(times)) if times else None,
            _iso(max(times)) if times else None,
            round(talk_ms / 1000, 1) if bundle.attempts else None,
            last_leg.get("to"),
            last_leg.get("outcome"),
            round(forward_ms / 1000, 1) if last_leg else None,
            *(keys.get(node) for node in self.dtmf_nodes),
            *(_scalar(variables.get(name)) for name in self.variables),
            " ".join(recording_url.format(id=r.id) for r in bundle.recordings) or None,
        ]


def _scalar(value: object) -> object:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _node_of(event: dict[str, Any]) -> str | None:
    data = event.get("data") or {}
    context = data.get("nodeContext") if isinstance(data, dict) else None
    return context.get("nodeId") if isinstance(context, dict) else None


def _collected(events: list[dict[str, Any]]) -> dict[str, str]:
    """Keys each DTMF node collected in one attempt."""
    found: dict[str, list[str]] = {}
    for event in events:
        if event.get("type") != "dtmf_collected":
            continue
        node = _node_of(event)
        value = (event.get("data") or {}).get("value")
        if node is not None and value is not None:
            found.setdefault(node, []).append(str(value))
    return {node: " ".join(values) for node, values in found.items()}
