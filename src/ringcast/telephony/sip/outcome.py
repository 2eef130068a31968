"""SIP final status → dial outcome, report reason and retriability: one table.

`STATUS_TABLE` is the whole rule (README, "Connecting a carrier", prints it):
486/600 busy; 603 rejected; 480/408/487 no_answer; the number is wrong (404, 410, 484,
604) or the trunk refuses us (401, 403, 407 after our credentials) → failed and never
retried; 488/606 (no common codec) failed, not retried; anything else 4xx-6xx failed
and retried as the program's policy says (500, 502, 503, 504 included). The report
reason is `sip <status> <phrase>` ("sip 404 Not Found"); `retriable(reason)` reads it
back for the dialer. A 3xx that could not be followed is a failure like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ringcast.telephony.channel import DialFailed, DialFailure


@dataclass(frozen=True, slots=True)
class StatusRule:
    outcome: DialFailure
    retry: bool


_BUSY = StatusRule("busy", True)
_NO_ANSWER = StatusRule("no_answer", True)
_WRONG = StatusRule("failed", False)  # retrying the same number cannot help
_FAILED = StatusRule("failed", True)

STATUS_TABLE: dict[int, StatusRule] = {
    486: _BUSY,
    600: _BUSY,
    603: StatusRule("rejected", True),
    480: _NO_ANSWER,
    408: _NO_ANSWER,
    487: _NO_ANSWER,
    404: _WRONG,
    410: _WRONG,
    484: _WRONG,
    604: _WRONG,
    401: _WRONG,
    403: _WRONG,
    407: _WRONG,
    488: _WRONG,
    606: _WRONG,
}
_REASON = re.compile(r"^sip (\d{3})\b")


def rule_for_status(status: int) -> StatusRule:
    return STATUS_TABLE.get(status, _FAILED)


def outcome_for_status(status: int) -> DialFailure | None:
    """None for 2xx (answered); otherwise the failure kind."""
    if 200 <= status < 300:
        return None
    return rule_for_status(status).outcome


def sip_reason(status: int, reason_phrase: str) -> str:
    return f"sip {status} {reason_phrase}".strip()


def dial_failed(status: int | None, reason_phrase: str) -> DialFailed:
    if status is None:
        return DialFailed("failed", None, reason_phrase)
    outcome = outcome_for_status(status) or "failed"
    return DialFailed(outcome, status, sip_reason(status, reason_phrase))


def retriable(outcome_reason: str | None) -> bool:
    """False when the attempt ended on a SIP status the table marks as not retried."""
    match = _REASON.match(outcome_reason or "")
    return match is None or rule_for_status(int(match.group(1))).retry


# The trunk, not the callee, failed: the call is offered to the group's next trunk.
TRUNK_FAILURES = frozenset({500, 502, 503, 504})


def fails_over(status: int | None, rang: bool) -> bool:
    """Whether a dial failure moves the call to the next trunk of its group.

    Yes when the trunk could not carry it: no final response at all (timer B, a
    transport error), 500/502/503/504, or 408 before the callee rang (the carrier
    timed out routing it). Never on the callee's answer: busy, no answer (480, 487,
    408 after ringing), rejected, a wrong number, or our own credentials refused."""
    if status is None:
        return True
    if status == 408:
        return not rang
    return status in TRUNK_FAILURES
