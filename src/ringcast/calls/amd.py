"""What AMD decided on one call attempt, for the call report, the exports and the dashboard.

`answeredBy` is `human`, `machine` or `unknown` when AMD judged the call,
`not run` when the call was answered without AMD (the Dial node's `enableAMD`
false, an inbound call), and None when it was never answered. `amdReason` is the
rule that decided (`telephony.amd.detector`: `after_greeting_silence`,
`long_greeting`, `max_words`, `beep`, `keyword`, `initial_silence`, `packet_loss`,
`timeout`),
`amdDecisionMs` the audio time from answer to the deciding frame, and
`amdGreetingMs` the greeting heard until then (first word to last speech).

The verdict is read from `call_attempts.amd`; attempts stored before that column
was filled fall back to the `call_answered` event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

NOT_RUN: Final = "not run"


class AttemptLike(Protocol):
    @property
    def answered_at(self) -> datetime | None: ...
    @property
    def answered_by(self) -> str | None: ...
    @property
    def amd(self) -> dict[str, Any] | None: ...
    @property
    def events(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class AmdSummary:
    answered_by: str | None
    reason: str | None = None
    decision_ms: int | None = None
    greeting_ms: int | None = None


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _verdict(attempt: AttemptLike) -> dict[str, Any] | None:
    if isinstance(attempt.amd, dict):
        return attempt.amd
    for event in attempt.events or ():
        if event.get("type") == "call_answered":
            data = event.get("data")
            if isinstance(data, dict) and data.get("amdReason") is not None:
                return data
            return None
    return None


def amd_summary(attempt: AttemptLike) -> AmdSummary:
    verdict = _verdict(attempt)
    if verdict is not None and verdict.get("amdReason") is not None:
        return AmdSummary(
            str(verdict.get("answeredBy") or attempt.answered_by or "unknown"),
            str(verdict["amdReason"]),
            _int(verdict.get("amdDecisionMs")),
            _int(verdict.get("amdGreetingMs")),
        )
    if attempt.answered_at is not None or attempt.answered_by is not None:
        return AmdSummary(NOT_RUN)
    return AmdSummary(None)
