"""Retry strategies: the ONE model the API validates and the dialer runs.

Each strategy is a pydantic class that says, besides its JSON shape, how many
attempts it allows (`max_attempts`) and when the next one starts
(`retry_at`). The API's unions (a program's `retryStrategy`, a single call's
`retry`) and the dialer's `RetryPolicy` (dialer/retry.py, which parses the
JSON pinned on the execution with `STORED`) are built from these classes
only. To add a strategy: write its class here and add it to the unions below.

Budgets are per contact: every retryable outcome draws on the same count
(FIELD-NOTES). A scheduled date already past when its attempt comes (the
previous one was delayed by a pause window) means "as soon as possible",
never "skip".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, TypeAdapter, field_validator

from ringcast.kit.schemas import InputSchema, ZonedDatetime

RetryableOutcome = Literal["no_answer", "busy", "rejected", "voicemail", "failed"]
DEFAULT_RETRY_ON: list[RetryableOutcome] = ["no_answer", "busy", "rejected", "voicemail", "failed"]
MAX_DELAY = timedelta(days=7)


class Strategy(InputSchema):
    """What every strategy has and says; a strategy's own class overrides the two."""

    retry_on: list[RetryableOutcome] = Field(default_factory=lambda: list(DEFAULT_RETRY_ON))

    @property
    def max_attempts(self) -> int:
        """The first attempt and the retries the strategy allows."""
        return 1

    def retry_at(self, attempts_made: int, now: datetime) -> datetime | None:
        """When attempt `attempts_made + 1` starts (before pause windows move it)."""
        return None


class NoRetry(Strategy):
    type: Literal["none"]


class _FixedDelay(Strategy):
    max_retries: int = Field(ge=0, le=20)  # extra attempts after the first

    @property
    def delay(self) -> timedelta:
        raise NotImplementedError

    @property
    def max_attempts(self) -> int:
        return 1 + self.max_retries

    def retry_at(self, attempts_made: int, now: datetime) -> datetime | None:
        return now + self.delay


class FixedDelayRetry(_FixedDelay):
    """A program's: `{"type": "fixed_delay", "delayMinutes", "maxRetries"}`."""

    type: Literal["fixed_delay"]
    delay_minutes: int = Field(ge=1, le=7 * 24 * 60)

    @property
    def delay(self) -> timedelta:
        return timedelta(minutes=self.delay_minutes)


class FixedDelayMsRetry(_FixedDelay):
    """Gomobile's ad-hoc call shape: `{"type": "fixed-delay", "delay": ms, "maxRetries"}`."""

    type: Literal["fixed-delay"]
    delay_ms: int = Field(alias="delay", ge=1000, le=int(MAX_DELAY.total_seconds()) * 1000)

    @property
    def delay(self) -> timedelta:
        return timedelta(milliseconds=self.delay_ms)


def _sorted_dates(dates: list[datetime]) -> list[datetime]:
    if any(b <= a for a, b in pairwise(dates)):
        raise ValueError("dates must be sorted, without duplicates")
    return dates


class _Scheduled(Strategy):
    @property
    def dates(self) -> list[datetime]:
        raise NotImplementedError

    @property
    def max_attempts(self) -> int:
        return 1 + len(self.dates)

    def retry_at(self, attempts_made: int, now: datetime) -> datetime | None:
        return max(self.dates[attempts_made - 1], now)  # attempt k+1 uses date k


class ScheduledRetry(_Scheduled):
    """A program's: `{"type": "scheduled", "retryDates": [ISO, ...]}`."""

    type: Literal["scheduled"]
    retry_dates: list[ZonedDatetime] = Field(min_length=1, max_length=20)
    _sorted = field_validator("retry_dates")(_sorted_dates)

    @property
    def dates(self) -> list[datetime]:
        return self.retry_dates


class ScheduledDatesRetry(_Scheduled):
    """Gomobile's ad-hoc call shape: `{"type": "scheduled", "dates": [ISO, ...]}`."""

    type: Literal["scheduled"]
    dates_: list[ZonedDatetime] = Field(alias="dates", min_length=1, max_length=20)
    _sorted = field_validator("dates_")(_sorted_dates)

    @property
    def dates(self) -> list[datetime]:
        return self.dates_


def _tag(value: Any) -> str | None:
    """The union member a JSON strategy is: its `type`, except that a `scheduled`
    one with Gomobile's `dates` is the ad-hoc shape."""
    data = value if isinstance(value, dict) else getattr(value, "__dict__", {})
    kind = data.get("type")
    if kind == "scheduled" and ("dates" in data or "dates_" in data):
        return "scheduled-dates"
    return kind if isinstance(kind, str) else None


# a program's retryStrategy
RetryStrategy = Annotated[NoRetry | FixedDelayRetry | ScheduledRetry, Field(discriminator="type")]
# a single call's retry (Gomobile's ad-hoc shapes and the program ones)
CallRetry = Annotated[
    Annotated[NoRetry, Tag("none")]
    | Annotated[FixedDelayRetry, Tag("fixed_delay")]
    | Annotated[FixedDelayMsRetry, Tag("fixed-delay")]
    | Annotated[ScheduledRetry, Tag("scheduled")]
    | Annotated[ScheduledDatesRetry, Tag("scheduled-dates")],
    Discriminator(_tag),
]
# what an execution pins (either of the above), read back by the dialer
STORED: TypeAdapter[Strategy] = TypeAdapter(CallRetry)
