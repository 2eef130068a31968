"""The dialer's retry policy: the execution's pinned retry strategy, parsed once.

Pure: given the policy, how many attempts were made, the last outcome and the
current time, return the next attempt time or None (the job is done). The
caller then moves that time past any pause window. The strategies themselves
(their JSON shapes, attempt budgets and next times) are the API's model,
`scheduling/retry.py`: nothing here knows a strategy by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ringcast.scheduling.retry import DEFAULT_RETRY_ON, STORED, NoRetry, Strategy

OUTCOMES = ("completed", "no_answer", "busy", "rejected", "voicemail", "failed", "cancelled")
RETRYABLE_OUTCOMES = tuple(DEFAULT_RETRY_ON)
NEVER_RETRIED = frozenset({"completed", "cancelled"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    strategy: Strategy = field(default_factory=lambda: NoRetry(type="none"))
    retry_on: frozenset[str] = frozenset(DEFAULT_RETRY_ON)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RetryPolicy:
        """From the strategy JSON pinned on an execution (validated at the API)."""
        shape = {k: v for k, v in data.items() if k != "retryOn"} or {"type": "none"}
        return cls(
            strategy=STORED.validate_python(shape),
            retry_on=frozenset(data.get("retryOn") or DEFAULT_RETRY_ON),
        )

    @property
    def max_attempts(self) -> int:
        return self.strategy.max_attempts


def next_attempt_at(
    policy: RetryPolicy, attempts_made: int, outcome: str, now: datetime
) -> datetime | None:
    """When to try again after attempt number `attempts_made` ended with `outcome`."""
    if outcome in NEVER_RETRIED or outcome not in policy.retry_on:
        return None
    if attempts_made >= policy.max_attempts:
        return None
    return policy.strategy.retry_at(attempts_made, now)
