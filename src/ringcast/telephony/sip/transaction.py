"""RFC 3261 §17 transactions as sans-I/O state machines (with RFC 6026's Accepted state).

Theory of operation: each transaction kind is a transition table
`(state, event) -> (next state, action names)`. Events are what happened — a response
class arrived (`1xx`, `2xx`, `final` for 300-699), the TU sent a response
(`send_1xx`, `send_2xx`, `send_final`), a request was retransmitted (`request`, `ack`),
a timer fired (`timer_A` ...) or the transport failed. `handle()` looks the row up,
switches state and returns *actions* for the runtime to perform: `Transmit`,
`StartTimer`/`CancelTimer` (the core never sleeps; the runtime owns the clock),
`Deliver` (pass a message to the transaction user), `TimedOut`, `Terminated`.
A `(state, event)` pair with no row raises `SipStateError`; the runtime treats that as a
stray remote message when the event came off the wire, and as a bug otherwise.
Retransmission timers only run on unreliable transports (UDP); on TCP timers D, I, J
and K are zero (§17.1.1.2 ff.).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from .errors import SipStateError
from .headers import Via
from .message import Headers, SipMessage, SipRequest, SipResponse

T1_MS = 500
T2_MS = 4000
T4_MS = 5000


class TxState(Enum):
    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


@dataclass(frozen=True, slots=True)
class Transmit:
    message: SipMessage


@dataclass(frozen=True, slots=True)
class StartTimer:
    name: str
    delay_ms: int


@dataclass(frozen=True, slots=True)
class CancelTimer:
    name: str


@dataclass(frozen=True, slots=True)
class Deliver:
    message: SipMessage


@dataclass(frozen=True, slots=True)
class TimedOut:
    """No final response arrived: a timer ran out, or the transport failed.

    Deliberately not a 408: nothing came back from the peer, so the outcome is
    unknown (the call may have rung), which callers must not treat as no-answer."""

    reason: str = "timeout: no response"


@dataclass(frozen=True, slots=True)
class Terminated:
    pass


Action = Transmit | StartTimer | CancelTimer | Deliver | TimedOut | Terminated
Row = tuple[TxState, tuple[str, ...]]
Table = Mapping[tuple[TxState, str], Row]

S = TxState
INVITE_CLIENT: Table = {
    (S.CALLING, "start"): (S.CALLING, ("transmit_request", "start_A", "start_B")),
    (S.CALLING, "timer_A"): (S.CALLING, ("transmit_request", "backoff_A")),
    (S.CALLING, "timer_B"): (S.TERMINATED, ("timed_out",)),
    (S.CALLING, "1xx"): (S.PROCEEDING, ("stop_A", "stop_B", "deliver")),
    (S.CALLING, "2xx"): (S.ACCEPTED, ("stop_A", "stop_B", "deliver", "start_M")),
    (S.CALLING, "final"): (S.COMPLETED, ("stop_A", "stop_B", "send_ack", "deliver", "start_D")),
    (S.CALLING, "transport_error"): (S.TERMINATED, ("transport_failed",)),
    (S.PROCEEDING, "1xx"): (S.PROCEEDING, ("deliver",)),
    (S.PROCEEDING, "2xx"): (S.ACCEPTED, ("deliver", "start_M")),
    (S.PROCEEDING, "final"): (S.COMPLETED, ("send_ack", "deliver", "start_D")),
    (S.PROCEEDING, "transport_error"): (S.TERMINATED, ("transport_failed",)),
    # RFC 6026: 2xx retransmissions reach the TU, which re-sends its ACK.
    (S.ACCEPTED, "2xx"): (S.ACCEPTED, ("deliver",)),
    (S.ACCEPTED, "1xx"): (S.ACCEPTED, ()),
    (S.ACCEPTED, "final"): (S.ACCEPTED, ()),
    (S.ACCEPTED, "timer_M"): (S.TERMINATED, ()),
    (S.COMPLETED, "final"): (S.COMPLETED, ("send_ack",)),
    (S.COMPLETED, "1xx"): (S.COMPLETED, ()),
    (S.COMPLETED, "2xx"): (S.COMPLETED, ()),
    (S.COMPLETED, "timer_D"): (S.TERMINATED, ()),
    (S.COMPLETED, "transport_error"): (S.TERMINATED, ()),
}

NON_INVITE_CLIENT: Table = {
    (S.TRYING, "start"): (S.TRYING, ("transmit_request", "start_E", "start_F")),
    (S.TRYING, "timer_E"): (S.TRYING, ("transmit_request", "backoff_E")),
    (S.TRYING, "timer_F"): (S.TERMINATED, ("timed_out",)),
    (S.TRYING, "1xx"): (S.PROCEEDING, ("deliver",)),
    (S.TRYING, "2xx"): (S.COMPLETED, ("stop_E", "stop_F", "deliver", "start_K")),
    (S.TRYING, "final"): (S.COMPLETED, ("stop_E", "stop_F", "deliver", "start_K")),
    (S.TRYING, "transport_error"): (S.TERMINATED, ("transport_failed",)),
    (S.PROCEEDING, "1xx"): (S.PROCEEDING, ("deliver",)),
    (S.PROCEEDING, "timer_E"): (S.PROCEEDING, ("transmit_request", "hold_E")),
    (S.PROCEEDING, "timer_F"): (S.TERMINATED, ("timed_out",)),
    (S.PROCEEDING, "2xx"): (S.COMPLETED, ("stop_E", "stop_F", "deliver", "start_K")),
    (S.PROCEEDING, "final"): (S.COMPLETED, ("stop_E", "stop_F", "deliver", "start_K")),
    (S.PROCEEDING, "transport_error"): (S.TERMINATED, ("transport_failed",)),
    (S.COMPLETED, "1xx"): (S.COMPLETED, ()),
    (S.COMPLETED, "2xx"): (S.COMPLETED, ()),
    (S.COMPLETED, "final"): (S.COMPLETED, ()),
    (S.COMPLETED, "timer_K"): (S.TERMINATED, ()),
}

INVITE_SERVER: Table = {
    (S.PROCEEDING, "request"): (S.PROCEEDING, ("retransmit_response",)),
    (S.PROCEEDING, "send_1xx"): (S.PROCEEDING, ("transmit_response",)),
    (S.PROCEEDING, "send_2xx"): (S.ACCEPTED, ("transmit_response", "start_L")),
    (S.PROCEEDING, "send_final"): (S.COMPLETED, ("transmit_response", "start_G", "start_H")),
    (S.PROCEEDING, "transport_error"): (S.TERMINATED, ("transport_failed",)),
    # RFC 6026: the TU retransmits its 2xx until the ACK; the transaction only absorbs.
    (S.ACCEPTED, "request"): (S.ACCEPTED, ()),
    (S.ACCEPTED, "send_2xx"): (S.ACCEPTED, ("transmit_response",)),
    (S.ACCEPTED, "ack"): (S.ACCEPTED, ("deliver",)),
    (S.ACCEPTED, "timer_L"): (S.TERMINATED, ()),
    (S.ACCEPTED, "transport_error"): (S.ACCEPTED, ()),
    (S.COMPLETED, "request"): (S.COMPLETED, ("retransmit_response",)),
    (S.COMPLETED, "timer_G"): (S.COMPLETED, ("retransmit_response", "backoff_G")),
    (S.COMPLETED, "timer_H"): (S.TERMINATED, ("timed_out",)),
    (S.COMPLETED, "ack"): (S.CONFIRMED, ("stop_G", "stop_H", "start_I")),
    (S.COMPLETED, "transport_error"): (S.TERMINATED, ("transport_failed",)),
    (S.CONFIRMED, "request"): (S.CONFIRMED, ()),
    (S.CONFIRMED, "ack"): (S.CONFIRMED, ()),
    (S.CONFIRMED, "timer_I"): (S.TERMINATED, ()),
}

NON_INVITE_SERVER: Table = {
    (S.TRYING, "request"): (S.TRYING, ()),
    (S.TRYING, "send_1xx"): (S.PROCEEDING, ("transmit_response",)),
    (S.TRYING, "send_2xx"): (S.COMPLETED, ("transmit_response", "start_J")),
    (S.TRYING, "send_final"): (S.COMPLETED, ("transmit_response", "start_J")),
    (S.PROCEEDING, "request"): (S.PROCEEDING, ("retransmit_response",)),
    (S.PROCEEDING, "send_1xx"): (S.PROCEEDING, ("transmit_response",)),
    (S.PROCEEDING, "send_2xx"): (S.COMPLETED, ("transmit_response", "start_J")),
    (S.PROCEEDING, "send_final"): (S.COMPLETED, ("transmit_response", "start_J")),
    (S.PROCEEDING, "transport_error"): (S.TERMINATED, ("transport_failed",)),
    (S.COMPLETED, "request"): (S.COMPLETED, ("retransmit_response",)),
    (S.COMPLETED, "timer_J"): (S.TERMINATED, ()),
    (S.COMPLETED, "transport_error"): (S.TERMINATED, ()),
}


def response_event(status: int, prefix: str = "") -> str:
    if status < 200:
        return prefix + "1xx"
    return prefix + ("2xx" if status < 300 else "final")


def ack_for_non2xx(request: SipRequest, response: SipResponse) -> SipRequest:
    """§17.1.1.3: the ACK is part of the INVITE transaction (same branch)."""
    headers = Headers()
    headers.add("Via", request.top_via)
    for route in request.headers.get_all("Route"):
        headers.add("Route", route)
    headers.add("Max-Forwards", "70")
    headers.add("From", request.headers.get("From") or "")
    headers.add("To", response.headers.get("To") or "")
    headers.add("Call-ID", request.call_id)
    headers.add("CSeq", f"{request.cseq[0]} ACK")
    return SipRequest(headers, b"", "ACK", request.uri)


class Transaction:
    """One transaction. Feed it events; perform the actions it returns."""

    def __init__(self, table: Table, initial: TxState, request: SipRequest, reliable: bool):
        self.table = table
        self.state = initial
        self.request = request
        self.reliable = reliable
        self.last_response: SipResponse | None = None
        self._interval_ms = {"A": T1_MS, "E": T1_MS, "G": T1_MS}
        self._current: SipMessage | None = None

    @property
    def branch(self) -> str:
        return Via.parse(self.request.top_via).branch

    def handle(self, event: str, message: SipMessage | None = None) -> list[Action]:
        row = self.table.get((self.state, event))
        if row is None:
            raise SipStateError(f"{event!r} not allowed in state {self.state.value}")
        next_state, action_names = row
        self._current = message
        if isinstance(message, SipResponse) and event.startswith("send_"):
            self.last_response = message
        actions: list[Action] = []
        for name in action_names:
            actions.extend(self._action(name))
        self.state = next_state
        self._current = None  # only this step's actions use it (a lingering tx keeps less)
        if next_state is TxState.TERMINATED:
            actions.append(Terminated())
        return actions

    def _timer(self, name: str, unreliable_ms: int, reliable_ms: int | None = None) -> list[Action]:
        if self.reliable:
            return [] if reliable_ms is None else [StartTimer(name, reliable_ms)]
        return [StartTimer(name, unreliable_ms)]

    def _action(self, name: str) -> list[Action]:
        verb, _, arg = name.partition("_")
        if name == "transmit_request":
            return [Transmit(self.request)]
        if name in ("transmit_response", "retransmit_response"):
            return [Transmit(self.last_response)] if self.last_response else []
        if name == "deliver":
            return [Deliver(self._current)] if self._current is not None else []
        if name == "send_ack":
            assert isinstance(self._current, SipResponse)
            return [Transmit(ack_for_non2xx(self.request, self._current))]
        if name == "timed_out":
            return [TimedOut()]
        if name == "transport_failed":
            return [TimedOut("transport error")]
        if verb == "stop":
            return [CancelTimer(f"timer_{arg}")]
        if verb == "backoff":  # §17.1.1.2: A doubles; E and G double up to T2
            cap = T2_MS if arg in ("E", "G") else 2**31
            self._interval_ms[arg] = min(self._interval_ms[arg] * 2, cap)
            return [StartTimer(f"timer_{arg}", self._interval_ms[arg])]
        if verb == "hold":  # E in Proceeding fires every T2
            return [StartTimer(f"timer_{arg}", T2_MS)]
        if verb == "start":
            return self._start(arg)
        raise SipStateError(f"unknown action {name!r}")  # a table typo, caught by tests

    def _start(self, timer: str) -> list[Action]:
        name = f"timer_{timer}"
        if timer in ("A", "E", "G"):
            return self._timer(name, self._interval_ms[timer])
        if timer in ("B", "F", "H", "L", "M"):
            return [StartTimer(name, 64 * T1_MS)]
        if timer == "D":
            return self._timer(name, 32000, 0)
        if timer in ("I", "K"):
            return self._timer(name, T4_MS, 0)
        if timer == "J":
            return self._timer(name, 64 * T1_MS, 0)
        raise SipStateError(f"unknown timer {timer!r}")


def invite_client(request: SipRequest, reliable: bool) -> Transaction:
    return Transaction(INVITE_CLIENT, TxState.CALLING, request, reliable)


def non_invite_client(request: SipRequest, reliable: bool) -> Transaction:
    return Transaction(NON_INVITE_CLIENT, TxState.TRYING, request, reliable)


def invite_server(request: SipRequest, reliable: bool) -> Transaction:
    return Transaction(INVITE_SERVER, TxState.PROCEEDING, request, reliable)


def non_invite_server(request: SipRequest, reliable: bool) -> Transaction:
    return Transaction(NON_INVITE_SERVER, TxState.TRYING, request, reliable)
