"""The `forward` node: hand the callee to a person on another phone (a bridged second leg).

`config.to` is one target or a list tried in order (a simple hunt group); a
target is an E.164 number, a `sip:` URI, or `{{name}}` (a flow variable, or a
`sys.*` one, holding a number or URI). `callerId` is what the agent sees:
`did` (this call's caller id, the default), `callee` (the callee's number) or
an E.164 number. Each target rings `ringTimeoutSec` (default 30, 5-120); the
callee hears `holdAudioId` meanwhile (default: the channel's ringback tone).
On answer the agent hears `whisperAudioId`, then the legs are bridged for at
most `maxDurationSec` (default 3600, 10-7200); `record` (default true) records
the bridged conversation. `trunkId` (optional) is the trunk the agent's leg goes
out on (default: the call's own trunk, or its trunk group with the same failover);
it must be one of the organization's trunks (checked when the flow is saved). A
`sip:` target is dialled straight to the URI's host, if that host is allowed
(telephony/sip/targets.py: the organization's trunks' hosts, the admin's list).

Outputs: `onCompleted` (the bridge ended: the agent hung up, or the maximum
duration), `onNoAnswer` / `onBusy` / `onFailed` (the last target's outcome;
`rejected` and errors are `onFailed`). When the callee hangs up the flow ends
as for any hangup, and the agent's leg is cancelled (still ringing) or hung up.
Every leg is a `legs[]` entry of the trace; events `forward_started`,
`forward_answered`, `forward_ended` (with the outcome and reason).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import AfterValidator, Field, field_validator

from ringcast.audio.requests import PlayFile
from ringcast.flow.context import MISSING, CallFacts, system_variable
from ringcast.flow.events import (
    Forward,
    ForwardAnswered,
    ForwardEnded,
    ForwardFailed,
    StopForward,
)
from ringcast.flow.nodes.base import NodeModel, Reference
from ringcast.flow.nodes.run import NodeRun
from ringcast.flow.state import ForwardProgress
from ringcast.flow.trace import LegRecord
from ringcast.flow.values import ResourceId, StrictModel
from ringcast.telephony.sip.targets import parse_target

FORWARD_GRACE_MS: Final = 10_000
"""The leg counts as unanswered if the channel says nothing this long after the ring timeout."""
MAX_TARGETS: Final = 10

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_TEMPLATE = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]{0,63})\s*\}\}$")
_ROUTES: Final = {"no_answer": "onNoAnswer", "busy": "onBusy"}


def _dialable(value: str) -> bool:
    return bool(_E164.match(value)) or parse_target(value) is not None


def _target(value: str) -> str:
    if _dialable(value) or _TEMPLATE.match(value):
        return value
    raise ValueError("a target is an E.164 number (+...), a sip: URI or a {{variable}}")


def _caller_id(value: str) -> str:
    if value in ("callee", "did") or _E164.match(value):
        return value
    raise ValueError('callerId is "callee", "did" or an E.164 number')


Target = Annotated[str, AfterValidator(_target)]


class ForwardConfig(StrictModel):
    to: list[Target] = Field(min_length=1, max_length=MAX_TARGETS)
    callerId: Annotated[str, AfterValidator(_caller_id)] = "did"
    ringTimeoutSec: int = Field(30, ge=5, le=120)
    maxDurationSec: int = Field(3600, ge=10, le=7200)
    record: bool = True
    holdAudioId: ResourceId | None = None
    whisperAudioId: ResourceId | None = None
    trunkId: ResourceId | None = None

    @field_validator("to", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class ForwardNode(NodeModel):
    """Needs a live call (else onFailed `not_connected`)."""

    OUTPUTS: ClassVar = ("onCompleted", "onNoAnswer", "onBusy", "onFailed")

    type: Literal["forward"]
    config: ForwardConfig

    def enter(self, run: NodeRun) -> str | None:
        st = run.st
        if st.call_status != "answered":
            return _failed(run, "not_connected")
        targets = [t for t in (self._resolve(run, raw) for raw in self.config.to) if t]
        if not targets:
            return _failed(run, "no_forward_target")
        st.waiting = "forward"
        _ring(run, self, targets[0], targets[1:])
        return None

    def references(self) -> Iterator[Reference]:
        for name in ("holdAudioId", "whisperAudioId"):
            audio_id = getattr(self.config, name)
            if audio_id is not None:
                yield Reference("audio", audio_id, f"config.{name}")
        if self.config.trunkId is not None:
            yield Reference("trunk", self.config.trunkId, "config.trunkId")
        for i, raw in enumerate(self.config.to):
            target = parse_target(raw)
            if target is not None:
                yield Reference("sip_host", target.host, f"config.to[{i}]")

    def caller_id(self, run: NodeRun) -> str:
        ctx = run.st.ctx
        if self.config.callerId == "callee":
            return ctx.callee_number or ctx.from_number
        if self.config.callerId == "did":
            return ctx.from_number
        return self.config.callerId

    def _resolve(self, run: NodeRun, raw: str) -> str | None:
        match = _TEMPLATE.match(raw)
        if match is None:
            return raw
        name = match.group(1)
        st = run.st
        if name.startswith("sys."):
            value = system_variable(name, st.ctx, CallFacts(st.public_status, st.answered_by))
        else:
            value = st.variables.get(name, MISSING)
        text = value.strip() if isinstance(value, str) else None
        if text is None or not _dialable(text):
            run.log("forward_target_invalid", {"target": raw, "value": value})
            return None
        return text


def on_answered(run: NodeRun, event: ForwardAnswered) -> None:
    current = _current(run)
    if current is None or current[1].bridged:
        return
    node, progress = current
    progress.bridged = True
    progress.leg.answered_at = run.at
    progress.leg.trunk = event.trunk
    run.arm(node.config.maxDurationSec * 1000)
    run.log("forward_answered", {"to": progress.leg.to, "trunk": event.trunk})


def on_failed(run: NodeRun, event: ForwardFailed) -> None:
    current = _current(run)
    if current is None or current[1].bridged:
        return
    node, progress = current
    reason = event.reason or (f"sip_{event.sip_status}" if event.sip_status else event.outcome)
    progress.leg.sip_status = event.sip_status
    _end_leg(run, progress, event.outcome, reason, sipStatus=event.sip_status)
    if progress.targets:
        _ring(run, node, progress.targets[0], progress.targets[1:])
        return
    run.st.forward = None
    run.st.last_error = reason
    run.follow(_ROUTES.get(event.outcome, "onFailed"))


def on_ended(run: NodeRun, event: ForwardEnded) -> None:
    current = _current(run)
    if current is None or not current[1].bridged:
        return
    _end_leg(run, current[1], "completed", event.reason)
    run.st.forward = None
    run.follow("onCompleted")


def timeout(run: NodeRun) -> None:
    """The node's timer: the maximum duration of a bridge, or a leg that never reported."""
    current = _current(run)
    if current is None:
        return
    if current[1].bridged:
        run.out.append(StopForward("max_duration"))
        on_ended(run, ForwardEnded("max_duration"))
    else:
        run.out.append(StopForward("ring_timeout"))
        on_failed(run, ForwardFailed("no_answer", None, "ring_timeout"))


def stop(run: NodeRun, reason: str) -> None:
    """The run ends while a leg is up or ringing: release it."""
    progress = run.st.forward
    if progress is None:
        return
    run.out.append(StopForward(reason))
    _end_leg(run, progress, "completed" if progress.bridged else "cancelled", reason)
    run.st.forward = None


def _ring(run: NodeRun, node: ForwardNode, to: str, rest: list[str]) -> None:
    cfg = node.config
    from_ = node.caller_id(run)
    leg = LegRecord(to=to, from_=from_, started_at=run.at, node_id=node.id)
    run.st.trace.legs.append(leg)
    run.st.forward = ForwardProgress(targets=rest, leg=leg)
    ring_ms = cfg.ringTimeoutSec * 1000
    run.out.append(
        Forward(
            to=to,
            from_=from_,
            ring_timeout_ms=ring_ms,
            record=cfg.record,
            hold=(PlayFile(cfg.holdAudioId),) if cfg.holdAudioId else (),
            whisper=(PlayFile(cfg.whisperAudioId),) if cfg.whisperAudioId else (),
            leg=len(run.st.trace.legs) - 1,
            trunk_id=cfg.trunkId,
        )
    )
    run.arm(ring_ms + FORWARD_GRACE_MS)
    run.log("forward_started", {"to": to, "from": from_, "ringTimeoutMs": ring_ms})


def _end_leg(
    run: NodeRun, progress: ForwardProgress, outcome: str, reason: str | None, **data: Any
) -> None:
    leg = progress.leg
    leg.terminated_at = run.at
    leg.outcome, leg.reason = outcome, reason
    run.log("forward_ended", {"to": leg.to, "outcome": outcome, "reason": reason, **data})


def _current(run: NodeRun) -> tuple[ForwardNode, ForwardProgress] | None:
    """The forward in progress, or None (a late event for a leg already left)."""
    progress = run.st.forward
    if run.st.waiting != "forward" or progress is None:
        return None
    node = run.node()
    assert isinstance(node, ForwardNode)
    return node, progress


def _failed(run: NodeRun, code: str) -> str:
    run.st.last_error = code
    run.log("node_error", {"code": code})
    return "onFailed"
