"""What a `SipCall` reports to its owner (the channel, a bench, a test).

Outbound: `CallProgress` (1xx) then `CallAnswered` or `CallFailed`. Either
direction: `CallEnded` (BYE), `CallDigit` (SIP INFO), `CallMediaUpdate` (re-INVITE
offer). `parse_dtmf_info` reads the two INFO body formats in use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .message import SipRequest


@dataclass(frozen=True, slots=True)
class CallProgress:
    status: int
    reason: str
    sdp: bytes = b""


@dataclass(frozen=True, slots=True)
class CallAnswered:
    sdp: bytes
    status: int = 200


@dataclass(frozen=True, slots=True)
class CallFailed:
    status: int | None
    reason: str  # the reason phrase, or why there is no status


@dataclass(frozen=True, slots=True)
class CallEnded:
    by: Literal["local", "remote"]
    reason: str


@dataclass(frozen=True, slots=True)
class CallDigit:
    digit: str


@dataclass(frozen=True, slots=True)
class CallMediaUpdate:
    sdp: bytes


CallEvent = CallProgress | CallAnswered | CallFailed | CallEnded | CallDigit | CallMediaUpdate


def parse_dtmf_info(request: SipRequest) -> str | None:
    """`application/dtmf-relay` (Signal=5) or `application/dtmf` (5) → the digit."""
    ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    text = request.body.decode("utf-8", "replace").strip()
    if ctype == "application/dtmf-relay":
        for line in text.splitlines():
            name, _, value = line.partition("=")
            if name.strip().lower() == "signal":
                text = value.strip()
                break
        else:
            return None
    elif ctype != "application/dtmf":
        return None
    digit = text.upper()
    if digit == "10":
        return "*"
    if digit == "11":
        return "#"
    return digit if len(digit) == 1 and digit in "0123456789*#ABCD" else None
