"""A job's next state after an attempt: pure, computed by the loop before recording.

`after_attempt` reads the retry policy and the pause windows and returns a
`JobUpdate`; `DialerStore.finish` only applies it. A retry carries what to do
instead if the execution ended (cancelled, stopped) while the call ran: the
store reads the execution's status in its transaction and picks with
`JobUpdate.given`, plain data, so nothing calls back into the dialer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ringcast.dialer.retry import RetryPolicy, next_attempt_at
from ringcast.programs.status import TERMINAL, JobStatus, check_job_transition
from ringcast.scheduling.windows import NoAllowedTimeError

# when a retry may start: the first allowed instant at or after the given one
Reopen = Callable[[datetime], datetime]


@dataclass(frozen=True, slots=True)
class JobUpdate:
    status: JobStatus  # from in_progress: pending (a retry) | completed | failed | cancelled
    next_attempt_at: datetime | None
    final_outcome: str | None
    # applied instead when the execution has ended meanwhile (no more attempts)
    if_ended: JobUpdate | None = None

    def __post_init__(self) -> None:
        check_job_transition(JobStatus.IN_PROGRESS, self.status)

    def given(self, execution_status: str) -> JobUpdate:
        """This update, or its `if_ended` one when the execution is over."""
        if self.if_ended is not None and execution_status in TERMINAL:
            return self.if_ended
        return self


def after_attempt(
    policy: RetryPolicy,
    attempts: int,
    outcome: str,
    now: datetime,
    reopen: Reopen,
    *,
    retriable: bool = True,
) -> JobUpdate:
    """The job's next state after attempt number `attempts` ended with `outcome`;
    `retriable=False` (the SIP status table: a wrong number) ends it whatever the policy."""
    if outcome == "completed":
        return JobUpdate(JobStatus.COMPLETED, None, "completed")
    if outcome == "cancelled":
        return JobUpdate(JobStatus.CANCELLED, None, "cancelled")
    retry_at = next_attempt_at(policy, attempts, outcome, now) if retriable else None
    if retry_at is None:
        return JobUpdate(JobStatus.FAILED, None, outcome)
    ended = JobUpdate(JobStatus.CANCELLED, None, outcome)
    try:
        return JobUpdate(JobStatus.PENDING, reopen(retry_at), None, if_ended=ended)
    except NoAllowedTimeError:
        return JobUpdate(JobStatus.FAILED, None, outcome, if_ended=ended)
