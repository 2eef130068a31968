"""The seam between the dialer and a call: `CallLauncher`.

The dialer hands a launcher one `CallPlan` (who, from which number, through
which trunk, which pinned flow) and gets back a `CallResult` (timing, outcome,
the flow's trace). Launchers:

- `SimulatedLauncher` (dialer/simulated_launcher.py): the flow runner on a
  scripted callee, instant — tests and benchmarks;
- a SIP launcher (the flow runner on a `SipChannel`), wired by the app.

A launcher never raises for a call that went wrong: that is a `failed`
result with a reason. An exception escaping `launch` is recorded by the
dialer as `failed` / `launcher_error`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from ringcast.flow.compiled import CompiledFlow
from ringcast.flow.context import RunContext
from ringcast.flow.runner import NodeObserver
from ringcast.flow.trace import FlowTrace
from ringcast.telephony.sip.forward import LegGate


@dataclass(frozen=True, slots=True)
class TrunkInfo:
    id: str
    host: str
    port: int
    transport: str
    username: str | None
    password: str | None
    from_domain: str | None
    max_channels: int
    calls_per_second: float
    codecs: tuple[str, ...]
    register: bool = False
    # carrier settings (trunks/models.py)
    options_interval_s: int = 30
    register_expires_s: int = 3600
    symmetric_rtp: bool = True
    strict_media_source: bool = False
    max_inbound_calls: int = 10
    number_format: str = "e164"
    tech_prefix: str | None = None
    asserted_identity: bool = False
    privacy: bool = False
    from_user: str | None = None
    # transport "tls" (trunks/tls.py); the client key still sealed
    tls_ca_bundle: str | None = None
    tls_server_name: str | None = None
    tls_client_cert: str | None = None
    tls_client_key: str | None = field(default=None, repr=False)
    srtp: str = "off"
    srtp_over_insecure_signaling: bool = False
    # the SIP a carrier speaks (100rel, 3xx hops, Retry-After cap), digest-known inbound
    offer_100rel: bool = True
    max_redirects: int = 3
    max_retry_after_s: int = 60
    inbound_digest: bool = False


@dataclass(frozen=True, slots=True)
class CallPlan:
    call_id: str
    job_id: str
    attempt: int
    execution_id: str
    organization_id: str
    program_id: str | None
    to_number: str
    contact: Mapping[str, Any]  # API field names + customAttributes
    caller_id: str
    trunk: TrunkInfo | None
    flow: CompiledFlow
    flow_graph: Mapping[str, Any]  # the pinned graph JSON (for preloading its audio)
    flow_id: str
    flow_name: str
    flow_version: int
    start_at: datetime  # the paced slot this call was given
    leg_gate: LegGate | None = None
    """A Forward node's second leg takes a trunk channel and a paced start through this."""
    # the next trunks of the DID's group, in failover order (trunk groups)
    failover: tuple[TrunkInfo, ...] = ()
    # awaited right before each INVITE with its trunk's id: holds a channel and waits
    # for a start slot of that trunk (its limits); False: none came free
    pace: Callable[[str], Awaitable[bool]] | None = None
    # told of each node the flow enters (the dialer shows calls in flight with it)
    on_node: NodeObserver | None = field(default=None, compare=False)

    def run_context(self) -> RunContext:
        """The flow run's inputs for this call."""
        return RunContext(
            call_id=self.call_id,
            contact=self.contact,
            from_number=self.caller_id,
            to_number=self.to_number,
            organization_id=self.organization_id,
            program_id=self.program_id,
            flow_id=self.flow_id,
            flow_name=self.flow_name,
            flow_version=self.flow_version,
        )


@dataclass(slots=True)
class CallResult:
    outcome: str  # completed | no_answer | busy | rejected | voicemail | failed
    outcome_reason: str | None = None
    dialed_at: datetime | None = None
    answered_at: datetime | None = None
    terminated_at: datetime | None = None
    answered_by: str | None = None
    amd: dict[str, Any] | None = None
    flow_execution: dict[str, Any] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    node_execution_count: dict[str, int] = field(default_factory=dict)
    key_results: dict[str, str] = field(default_factory=dict)  # DTMF node -> how it ended
    legs: list[dict[str, Any]] = field(default_factory=list)  # the Forward node's legs
    trunk_id: str | None = None  # the trunk that carried the call
    trunks_tried: list[str] = field(default_factory=list)  # every trunk it was offered to

    @classmethod
    def from_trace(cls, trace: FlowTrace) -> CallResult:
        return cls(
            outcome=trace.outcome or "failed",
            outcome_reason=trace.outcome_reason,
            dialed_at=trace.call.dialed_at,
            answered_at=trace.call.answered_at,
            terminated_at=trace.call.terminated_at or trace.flow_completed_at,
            answered_by=trace.call.answered_by,
            amd=amd_verdict(trace),
            flow_execution=trace.flow_execution(),
            events=trace.events(),
            node_execution_count=dict(trace.node_execution_count),
            key_results=trace.key_results(),
            legs=[leg.to_dict() for leg in trace.legs],
        )


def amd_verdict(trace: FlowTrace) -> dict[str, Any] | None:
    """What AMD decided on answer (`call_attempts.amd`), from the call_answered event;
    None when the call was not answered or AMD did not run."""
    for event in trace.event_log:
        if event.type == "call_answered":
            data = event.data
            if data.get("amdReason") is None and data.get("amdDecisionMs") is None:
                return None
            return {
                "answeredBy": data.get("answeredBy"),
                "amdReason": data.get("amdReason"),
                "amdDecisionMs": data.get("amdDecisionMs"),
                "amdGreetingMs": data.get("amdGreetingMs"),
            }
    return None


class CallLauncher(Protocol):
    async def launch(self, plan: CallPlan) -> CallResult: ...


@runtime_checkable
class LegGateTaker(Protocol):
    """A launcher whose Forward legs take trunk channels through the dialer's gates
    (the SIP launcher: outbound and inbound calls' legs alike)."""

    def set_leg_gates(self, gates: Callable[[str, str], LegGate | None]) -> None: ...


@runtime_checkable
class TrunkHealthView(Protocol):
    """A launcher that knows its trunks' health (the SIP launcher): the dialer offers
    no call to a trunk that is down while its group has another."""

    def trunk_down(self, trunk_id: str) -> bool: ...
