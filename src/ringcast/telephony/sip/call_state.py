"""The lifecycle of one call as a transition table.

Outbound: idle → calling → proceeding → confirmed → ended, with cancelling between
a CANCEL and the final response. Inbound: incoming → confirmed → ended. A 200 that
races our CANCEL ends the call (we ACK and BYE it). An event with no row raises
`SipStateError`.
"""

from __future__ import annotations

from enum import Enum

from .errors import SipStateError


class CallState(Enum):
    IDLE = "idle"
    CALLING = "calling"
    PROCEEDING = "proceeding"
    CANCELLING = "cancelling"
    INCOMING = "incoming"
    CONFIRMED = "confirmed"
    ENDED = "ended"


C = CallState
_CALL_TABLE: dict[tuple[CallState, str], CallState] = {
    (C.IDLE, "invite"): C.CALLING,
    (C.CALLING, "provisional"): C.PROCEEDING,
    (C.PROCEEDING, "provisional"): C.PROCEEDING,
    (C.CALLING, "answered"): C.CONFIRMED,
    (C.PROCEEDING, "answered"): C.CONFIRMED,
    (C.CALLING, "challenged"): C.CALLING,
    (C.PROCEEDING, "challenged"): C.CALLING,
    (C.CALLING, "failed"): C.ENDED,
    (C.PROCEEDING, "failed"): C.ENDED,
    (C.CALLING, "cancel"): C.CANCELLING,
    (C.PROCEEDING, "cancel"): C.CANCELLING,
    (C.CANCELLING, "provisional"): C.CANCELLING,
    (C.CANCELLING, "failed"): C.ENDED,
    (C.CANCELLING, "answered"): C.ENDED,  # 200 raced our CANCEL: ACK then BYE
    (C.INCOMING, "answer"): C.CONFIRMED,
    (C.INCOMING, "failed"): C.ENDED,
    (C.INCOMING, "bye"): C.ENDED,
    (C.CONFIRMED, "bye"): C.ENDED,
    (C.CONFIRMED, "failed"): C.ENDED,
}


def next_state(state: CallState, event: str) -> CallState:
    nxt = _CALL_TABLE.get((state, event))
    if nxt is None:
        raise SipStateError(f"call: {event!r} not allowed in {state.value}")
    return nxt
