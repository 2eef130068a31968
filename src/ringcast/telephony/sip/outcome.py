"""SIP final status → dial outcome (DESIGN.md, Telephony).

2xx answered; 486/600 busy; 603 rejected; ring timeout or 480/408/487 no_answer;
anything else 4xx-6xx (404, 484, ...) failed. The status and reason phrase are kept
as "486 Busy Here" for the report.
"""

from __future__ import annotations

from ringcast.telephony.channel import DialFailed, DialFailure

_BY_STATUS: dict[int, DialFailure] = {
    486: "busy",
    600: "busy",
    603: "rejected",
    480: "no_answer",
    408: "no_answer",
    487: "no_answer",
}


def outcome_for_status(status: int) -> DialFailure | None:
    """None for 2xx (answered); otherwise the failure kind."""
    if 200 <= status < 300:
        return None
    return _BY_STATUS.get(status, "failed")


def dial_failed(status: int | None, reason_phrase: str) -> DialFailed:
    if status is None:
        return DialFailed("failed", None, reason_phrase)
    outcome = outcome_for_status(status) or "failed"
    return DialFailed(outcome, status, f"{status} {reason_phrase}".strip())
