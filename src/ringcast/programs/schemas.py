from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from ringcast.dids.numbers import shape_problem
from ringcast.kit.schemas import InputSchema, Schema, ZonedDatetime
from ringcast.scheduling.retry import NoRetry, RetryStrategy

ProgramStatus = Literal["draft", "active", "archived"]
# "program": pause windows read in the program's timezone (Gomobile); "contact":
# in each callee's own zones, from the number (unknown: the program's timezone)
TimezoneMode = Literal["program", "contact"]
ExecutionStatus = Literal[
    "scheduled", "running", "paused", "paused_threshold", "completed", "stopped", "cancelled"
]


class HourMinute(InputSchema):
    hour: int = Field(ge=0, le=23)
    minute: int = Field(ge=0, le=59)


class DailyWindow(InputSchema):
    """A pause window on one weekday; an end before the start runs past midnight."""

    start_at: HourMinute
    end_at: HourMinute

    @model_validator(mode="after")
    def _not_empty(self) -> DailyWindow:
        if (self.start_at.hour, self.start_at.minute) == (self.end_at.hour, self.end_at.minute):
            raise ValueError("endAt must differ from startAt (an earlier endAt means overnight)")
        return self


class DateRangeWindow(InputSchema):
    start_at: ZonedDatetime
    end_at: ZonedDatetime

    @model_validator(mode="after")
    def _ordered(self) -> DateRangeWindow:
        if self.end_at <= self.start_at:
            raise ValueError("endAt must be after startAt")
        return self


class PauseWindows(InputSchema):
    monday: list[DailyWindow] = Field(default_factory=list, max_length=24)
    tuesday: list[DailyWindow] = Field(default_factory=list, max_length=24)
    wednesday: list[DailyWindow] = Field(default_factory=list, max_length=24)
    thursday: list[DailyWindow] = Field(default_factory=list, max_length=24)
    friday: list[DailyWindow] = Field(default_factory=list, max_length=24)
    saturday: list[DailyWindow] = Field(default_factory=list, max_length=24)
    sunday: list[DailyWindow] = Field(default_factory=list, max_length=24)
    advanced: list[DateRangeWindow] = Field(default_factory=list, max_length=500)


class AutoPauseRule(InputSchema):
    node_id: str = Field(min_length=1, max_length=100)
    threshold: int = Field(ge=1)
    reset_on_resume: bool = False


def _check_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {value!r}") from exc
    return value


def _check_pool(numbers: list[str] | None) -> list[str] | None:
    if numbers is None:
        return None
    for number in numbers:
        problem = shape_problem(number)
        if problem is not None:
            raise ValueError(problem)
    if len(set(numbers)) != len(numbers):
        raise ValueError("didPool has duplicate numbers")
    return numbers


class _ProgramFields(InputSchema):
    # stopAt after startAt is checked by the service, where the error can name stopAt
    _tz = field_validator("timezone", check_fields=False)(_check_timezone)
    _pool = field_validator("did_pool", check_fields=False)(_check_pool)


class ProgramCreate(_ProgramFields):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    audience_id: str
    flow_id: str
    start_at: ZonedDatetime | None = None
    stop_at: ZonedDatetime | None = None
    did_pool: list[str] = Field(default_factory=list, max_length=1000)
    retry_strategy: RetryStrategy = Field(default_factory=lambda: NoRetry(type="none"))
    pause_windows: PauseWindows = Field(default_factory=PauseWindows)
    timezone: str | None = None
    timezone_mode: TimezoneMode = "program"
    max_concurrent_calls: int = Field(default=10, ge=1, le=10000)
    calls_per_second: float = Field(default=5.0, gt=0, le=1000)
    auto_pause_rules: list[AutoPauseRule] = Field(default_factory=list, max_length=100)


class ProgramUpdate(_ProgramFields):
    """Partial update (PUT): only the properties sent change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    audience_id: str | None = None
    flow_id: str | None = None
    start_at: ZonedDatetime | None = None
    stop_at: ZonedDatetime | None = None
    did_pool: list[str] | None = Field(default=None, max_length=1000)
    retry_strategy: RetryStrategy | None = None
    pause_windows: PauseWindows | None = None
    timezone: str | None = None
    timezone_mode: TimezoneMode | None = None
    max_concurrent_calls: int | None = Field(default=None, ge=1, le=10000)
    calls_per_second: float | None = Field(default=None, gt=0, le=1000)
    auto_pause_rules: list[AutoPauseRule] | None = Field(default=None, max_length=100)


class Program(Schema):
    id: str
    organization_id: str
    name: str
    description: str | None
    audience_id: str
    flow_id: str
    start_at: datetime | None
    stop_at: datetime | None
    did_pool: list[str]
    retry_strategy: dict[str, Any]
    pause_windows: dict[str, Any]
    timezone: str
    timezone_mode: TimezoneMode
    max_concurrent_calls: int
    calls_per_second: float
    auto_pause_rules: list[dict[str, Any]]
    status: ProgramStatus
    created_at: datetime
    updated_at: datetime


class LaunchResult(Schema):
    execution_id: str


class ResumeBody(InputSchema):
    auto_pause_rules: list[AutoPauseRule] | None = None


class Execution(Schema):
    id: str
    organization_id: str
    program_id: str | None
    audience_id: str | None
    status: ExecutionStatus
    effective_status: str
    total_contacts: int
    contacts_completed: int
    contacts_failed: int
    contacts_pending: int
    contacts_in_progress: int
    flow_id: str
    flow_version: int
    auto_pause_rules: list[dict[str, Any]]
    scheduled_start_at: datetime | None
    scheduled_stop_at: datetime | None
    actual_start_at: datetime | None
    actual_end_at: datetime | None
    created_at: datetime
    updated_at: datetime
