from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ringcast.dialer.retry import RetryPolicy, next_attempt_at

NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)


def test_none_never_retries():
    policy = RetryPolicy.from_json({"type": "none"})
    assert next_attempt_at(policy, 1, "no_answer", NOW) is None


def test_fixed_delay_max_retries_counts_extra_attempts():
    policy = RetryPolicy.from_json({"type": "fixed_delay", "delayMinutes": 15, "maxRetries": 3})
    assert policy.max_attempts == 4
    for attempts in (1, 2, 3):
        assert next_attempt_at(policy, attempts, "busy", NOW) == NOW + timedelta(minutes=15)
    assert next_attempt_at(policy, 4, "busy", NOW) is None


@pytest.mark.parametrize("outcome", ["completed", "cancelled"])
def test_completed_and_cancelled_never_retry(outcome):
    policy = RetryPolicy.from_json(
        {
            "type": "fixed_delay",
            "delayMinutes": 1,
            "maxRetries": 5,
            "retryOn": ["completed", "cancelled"],
        }
    )
    assert next_attempt_at(policy, 1, outcome, NOW) is None


def test_only_outcomes_in_retry_on_retry():
    policy = RetryPolicy.from_json(
        {"type": "fixed_delay", "delayMinutes": 1, "maxRetries": 5, "retryOn": ["busy"]}
    )
    assert next_attempt_at(policy, 1, "busy", NOW) is not None
    assert next_attempt_at(policy, 1, "no_answer", NOW) is None
    assert next_attempt_at(policy, 1, "voicemail", NOW) is None


def test_default_retry_on_covers_every_unsuccessful_outcome():
    policy = RetryPolicy.from_json({"type": "fixed_delay", "delayMinutes": 1, "maxRetries": 1})
    for outcome in ("no_answer", "busy", "rejected", "voicemail", "failed"):
        assert next_attempt_at(policy, 1, outcome, NOW) is not None


def test_scheduled_uses_one_date_per_attempt_and_never_skips_a_past_date():
    dates = [NOW + timedelta(hours=1), NOW + timedelta(days=1)]
    policy = RetryPolicy.from_json(
        {"type": "scheduled", "retryDates": [d.isoformat() for d in dates]}
    )
    assert policy.max_attempts == 3
    assert next_attempt_at(policy, 1, "no_answer", NOW) == dates[0]
    assert next_attempt_at(policy, 2, "no_answer", NOW) == dates[1]
    assert next_attempt_at(policy, 3, "no_answer", NOW) is None
    late = NOW + timedelta(hours=2)  # the first retry ran late: second date is still used
    assert next_attempt_at(policy, 2, "busy", late) == dates[1]
    very_late = NOW + timedelta(days=2)
    assert next_attempt_at(policy, 2, "busy", very_late) == very_late


def test_gomobile_ad_hoc_fixed_delay_is_in_milliseconds():
    policy = RetryPolicy.from_json({"type": "fixed-delay", "delay": 300000, "maxRetries": 3})
    assert policy.max_attempts == 4
    assert next_attempt_at(policy, 1, "busy", NOW) == NOW + timedelta(minutes=5)
    assert next_attempt_at(policy, 4, "busy", NOW) is None


def test_gomobile_ad_hoc_scheduled_dates():
    dates = [NOW + timedelta(hours=1), NOW + timedelta(hours=2)]
    policy = RetryPolicy.from_json({"type": "scheduled", "dates": [d.isoformat() for d in dates]})
    assert policy.max_attempts == 3
    assert next_attempt_at(policy, 1, "no_answer", NOW) == dates[0]
    assert next_attempt_at(policy, 2, "no_answer", NOW) == dates[1]
    assert next_attempt_at(policy, 3, "no_answer", NOW) is None


def test_every_api_strategy_is_one_the_dialer_runs():
    """The program's and the single call's unions are made of the dialer's classes."""
    from typing import get_args

    from ringcast.scheduling.retry import STORED, CallRetry, RetryStrategy, Strategy

    def members(union):
        inner = get_args(union)[0]
        return {get_args(m)[0] if get_args(m) else m for m in get_args(inner)}

    assert members(RetryStrategy) <= members(CallRetry)
    assert all(issubclass(m, Strategy) for m in members(CallRetry))
    assert isinstance(STORED.validate_python({"type": "none"}), Strategy)
