"""Retry strategies: when (if ever) a contact is called again after an attempt.

Pure: given the policy, how many attempts were made, the last outcome and
the current time, return the next attempt time or None (the job is done).
The caller then moves that time past any pause window. Budgets are per
contact: every outcome draws on the same count (FIELD-NOTES).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

OUTCOMES = ("completed", "no_answer", "busy", "rejected", "voicemail", "failed", "cancelled")
RETRYABLE_OUTCOMES = ("no_answer", "busy", "rejected", "voicemail", "failed")
DEFAULT_RETRY_ON = RETRYABLE_OUTCOMES
NEVER_RETRIED = frozenset({"completed", "cancelled"})

StrategyType = Literal["none", "fixed_delay", "scheduled"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    type: StrategyType = "none"
    delay_minutes: int = 0
    max_retries: int = 0  # extra attempts after the first (fixed_delay)
    retry_dates: Sequence[datetime] = ()  # one extra attempt per date (scheduled)
    retry_on: frozenset[str] = frozenset(DEFAULT_RETRY_ON)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RetryPolicy:
        kind: StrategyType = data.get("type", "none")
        dates = tuple(
            datetime.fromisoformat(d).astimezone(UTC) if isinstance(d, str) else d
            for d in data.get("retryDates") or ()
        )
        return cls(
            type=kind,
            delay_minutes=int(data.get("delayMinutes") or 0),
            max_retries=int(data.get("maxRetries") or 0),
            retry_dates=dates,
            retry_on=frozenset(data.get("retryOn") or DEFAULT_RETRY_ON),
        )

    @property
    def max_attempts(self) -> int:
        if self.type == "fixed_delay":
            return 1 + self.max_retries
        if self.type == "scheduled":
            return 1 + len(self.retry_dates)
        return 1


def next_attempt_at(
    policy: RetryPolicy, attempts_made: int, outcome: str, now: datetime
) -> datetime | None:
    """When to try again after attempt number `attempts_made` ended with `outcome`."""
    if outcome in NEVER_RETRIED or outcome not in policy.retry_on:
        return None
    if attempts_made >= policy.max_attempts:
        return None
    if policy.type == "fixed_delay":
        return now + timedelta(minutes=policy.delay_minutes)
    if policy.type == "scheduled":
        # attempt k+1 uses date k; a date already past (the first attempt was
        # delayed by a window) means "as soon as possible", never "skip".
        return max(policy.retry_dates[attempts_made - 1], now)
    return None
