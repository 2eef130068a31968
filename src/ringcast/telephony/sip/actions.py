"""What a transaction user (a `SipCall`, a `Registration`) asks its user agent to do.

Like the transactions (`transaction.py`), calls and registrations do no I/O. They hand
*actions* to the `Perform` callback they were built with, and the user agent carries
them out: `SendRequest` starts a client transaction (INVITE or not, by method) whose
responses and time-out come back as `on_response(label, ...)` / `on_timeout(label,
...)`; `SendAck` puts a message on the wire outside any transaction (the ACK of a
2xx); `Respond` answers through the request's server transaction; `StartTimer` /
`CancelTimer` arm and drop a named timer that comes back as `on_timer(name)`;
`BackOff` asks the agent to hold new calls to the trunk for a while (a 503 or 480
with Retry-After); `Finished` tells the agent to drop the user and its timers. Unit tests pass a
`Perform` that records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .message import SipRequest, SipResponse
from .transaction import CancelTimer, StartTimer
from .transport import Address

__all__ = [
    "BackOff",
    "CancelTimer",
    "Finished",
    "Perform",
    "Respond",
    "SendAck",
    "SendRequest",
    "StartTimer",
    "TransactionUser",
    "UserAction",
]


@dataclass(frozen=True, slots=True)
class SendRequest:
    request: SipRequest
    addr: Address
    label: str  # echoed back with the responses and the time-out


@dataclass(frozen=True, slots=True)
class SendAck:
    message: SipRequest
    addr: Address


@dataclass(frozen=True, slots=True)
class Respond:
    request: SipRequest
    response: SipResponse


@dataclass(frozen=True, slots=True)
class BackOff:
    delay_ms: int


@dataclass(frozen=True, slots=True)
class Finished:
    pass


UserAction = SendRequest | SendAck | Respond | StartTimer | CancelTimer | BackOff | Finished


class TransactionUser(Protocol):
    def on_response(self, label: str, response: SipResponse) -> None: ...
    def on_timeout(self, label: str, reason: str) -> None: ...
    def on_timer(self, name: str) -> None: ...


Perform = Callable[[TransactionUser, Sequence[UserAction]], None]
