"""The SIP status table decides retriability: a wrong number is never called again."""

from __future__ import annotations

from typing import Any

import pytest

from dialer.dialer_kit import clock_now, dialer, jobs, launch, tick
from ringcast.dialer.launcher import CallPlan, CallResult


class FailingLauncher:
    """Every call ends on the same SIP failure, as `SipChannel` reports it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def launch(self, plan: CallPlan) -> CallResult:
        return CallResult("failed", self.reason)


async def job_after_one_attempt(api: Any, reason: str) -> tuple[str, str | None, int]:
    _, eid = await launch(
        api,
        contacts=1,
        retryStrategy={"type": "fixed_delay", "delayMinutes": 1, "maxRetries": 3},
    )
    clock = clock_now()
    await tick(dialer(api, FailingLauncher(reason), clock), clock)
    [job] = await jobs(api, eid)
    return job.status, job.final_outcome, job.attempt_count


@pytest.mark.parametrize(
    "reason", ["sip 404 Not Found", "sip 484 Address Incomplete", "sip 403 Forbidden"]
)
async def test_a_wrong_number_is_not_retried(api, reason):
    assert await job_after_one_attempt(api, reason) == ("failed", "failed", 1)


@pytest.mark.parametrize("reason", ["sip 503 Service Unavailable", "sip 408 Request Timeout"])
async def test_a_congested_or_unavailable_trunk_is_retried(api, reason):
    status, _, attempts = await job_after_one_attempt(api, reason)
    assert (status, attempts) == ("pending", 1)
