"""Simulate mode: run a flow against a scripted callee, instantly, and return the trace.

    trace = await simulate(graph_json, contact_json, {"answer": "human", "digits": ["1"]})

This is `POST /api/flows/execute` with `mode: "simulate"` minus HTTP: the graph is
validated first (a `FlowValidationError` carries the field errors), the script
is parsed (`SimulateScript`: `answer`, `digits`, `speechMs`, `hangupAfterMs`,
plus timing knobs), and the flow runs through the very runner a live call uses,
on a `SimulatedChannel` in virtual time. Without a clip resolver, each clip is
silence of a nominal length (`silence_resolver`), so timings still look like a
call's; pass the real resolver to hear/measure real prompts.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ringcast.audio.requests import ClipRequest, PlayFile, SayDate, SayNumber, SayWord
from ringcast.flow.compiled import CompiledFlow, compile_flow
from ringcast.flow.context import DEFAULT_NODE_BUDGET, Direction, RunContext
from ringcast.flow.graph import DTMF_KEYS, FlowGraph
from ringcast.flow.issues import Issue
from ringcast.flow.runner import ClipResolver, FlowRunner, NodeObserver, RecordingSink
from ringcast.flow.timebase import VirtualTimebase
from ringcast.flow.trace import FlowTrace
from ringcast.flow.validation import FlowValidationError, ValidationResult
from ringcast.telephony.channel import Pcm
from ringcast.telephony.simulated import CalleeScript, SimulatedChannel, VirtualClock


class SimulateScript(BaseModel):
    """The scripted callee as the API takes it (`simulate: {...}`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    answer: Literal["human", "machine", "no_answer", "busy", "rejected", "error"] = "human"
    digits: list[str] = Field(default_factory=list)
    """One entry per digit collection: the keys typed then (`""` = silence)."""
    speechMs: int = Field(3000, ge=0)
    hangupAfterMs: int | None = Field(None, ge=0)
    """The callee hangs up this long after answering (null = never)."""
    ringMs: int = Field(2000, ge=0)
    keyDelayMs: int = Field(600, ge=0)
    interKeyMs: int = Field(250, ge=0)
    typeDuringPrompt: bool = False
    forward: list[Literal["answer", "no_answer", "busy", "rejected", "error"]] = Field(
        default_factory=list
    )
    """One entry per forwarded leg (Forward node), in order; running out = `answer`."""
    forwardRingMs: int = Field(3000, ge=0)
    forwardTalkMs: int | None = Field(30000, ge=0)
    """The agent hangs up this long after answering (null = never)."""

    @field_validator("digits")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        for entry in value:
            if any(k not in DTMF_KEYS for k in entry):
                raise ValueError("digits entries are made of the keys 0-9, * and #")
        return value

    def callee(self) -> CalleeScript:
        return CalleeScript(
            answer=self.answer,
            digits=tuple(self.digits),
            speech_ms=self.speechMs,
            hangup_after_ms=self.hangupAfterMs,
            ring_ms=self.ringMs,
            key_delay_ms=self.keyDelayMs,
            inter_key_ms=self.interKeyMs,
            type_during_prompt=self.typeDuringPrompt,
            forward=tuple(self.forward),
            forward_ring_ms=self.forwardRingMs,
            forward_talk_ms=self.forwardTalkMs,
        )


_SILENCE: dict[int, Pcm] = {}


def nominal_ms(clip: ClipRequest) -> int:
    """Stand-in length of a clip when no real audio is used."""
    if isinstance(clip, PlayFile):
        return 2000
    if isinstance(clip, SayNumber):
        return 350 * max(1, len(str(clip.value)))
    if isinstance(clip, SayDate):
        return 1500
    assert isinstance(clip, SayWord)
    return 500


async def silence_resolver(clips: Sequence[ClipRequest], ctx: RunContext) -> Sequence[Pcm]:
    """Each clip → shared silence of its nominal length (read-only arrays)."""
    out = []
    for clip in clips:
        ms = nominal_ms(clip)
        pcm = _SILENCE.get(ms)
        if pcm is None:
            pcm = np.zeros(ms * 8, dtype=np.int16)
            pcm.flags.writeable = False
            _SILENCE[ms] = pcm
        out.append(pcm)
    return out


def parse_script(script: Mapping[str, Any] | SimulateScript | CalleeScript | None) -> CalleeScript:
    if script is None:
        return CalleeScript()
    if isinstance(script, CalleeScript):
        return script
    if isinstance(script, SimulateScript):
        return script.callee()
    try:
        return SimulateScript.model_validate(script).callee()
    except ValidationError as exc:
        result = ValidationResult()
        for err in exc.errors(include_url=False):
            path = "simulate" + "".join(
                f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]
            )
            result.errors.append(Issue(path, err["type"], err["msg"]))
        raise FlowValidationError(result) from None


async def run_simulation(
    flow: CompiledFlow,
    ctx: RunContext,
    script: CalleeScript,
    *,
    resolver: ClipResolver | None = None,
    recordings: RecordingSink | None = None,
    start_at: datetime | None = None,
    on_node: NodeObserver | None = None,
) -> FlowTrace:
    """Run one simulated call; the core of `simulate` (no parsing, no dicts)."""
    clock = VirtualClock(start_at or datetime.now(UTC))
    channel = SimulatedChannel(script, clock, call_id=ctx.call_id)
    runner = FlowRunner(resolver or silence_resolver, recordings, on_node=on_node)
    return await runner.run(flow, ctx, channel, VirtualTimebase(clock))


async def simulate(
    graph: Mapping[str, Any] | FlowGraph | CompiledFlow,
    contact: Mapping[str, Any],
    script: Mapping[str, Any] | SimulateScript | CalleeScript | None = None,
    resolver: ClipResolver | None = None,
    *,
    start_at: datetime | None = None,
    call_id: str | None = None,
    direction: Direction = "outbound",
    from_number: str = "+10000000000",
    organization_id: str | None = None,
    program_id: str | None = None,
    flow_id: str | None = None,
    flow_name: str | None = None,
    flow_version: int | None = None,
    node_budget: int = DEFAULT_NODE_BUDGET,
    variables: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Simulate one call; returns the trace as JSON-ready camelCase dicts.

    `graph` is the graph JSON (validated here) or an already parsed graph;
    `contact` the contact's API fields plus `customAttributes`. Raises
    `FlowValidationError` for an invalid graph or script.
    """
    flow = compile_flow(graph)
    callee = parse_script(script)
    ctx = RunContext(
        call_id=call_id or f"sim-{uuid.uuid4().hex[:12]}",
        contact=contact,
        direction=direction,
        from_number=from_number,
        organization_id=organization_id,
        program_id=program_id,
        flow_id=flow_id,
        flow_name=flow_name,
        flow_version=flow_version,
        node_budget=node_budget,
        variables=variables or {},
    )
    trace = await run_simulation(flow, ctx, callee, resolver=resolver, start_at=start_at)
    return trace.to_dict()
