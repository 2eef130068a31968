"""SIP status → dial outcome, as DESIGN.md lists it."""

from __future__ import annotations

import pytest

from ringcast.telephony.channel import DialFailed
from ringcast.telephony.sip.outcome import dial_failed, outcome_for_status, retriable


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, None),
        (202, None),
        (486, "busy"),
        (600, "busy"),
        (603, "rejected"),
        (480, "no_answer"),
        (408, "no_answer"),
        (487, "no_answer"),
        (404, "failed"),
        (484, "failed"),
        (403, "failed"),
        (500, "failed"),
        (503, "failed"),
        (302, "failed"),
    ],
)
def test_outcome_for_status(status: int, outcome: str | None) -> None:
    assert outcome_for_status(status) == outcome


def test_reason_keeps_status_and_phrase() -> None:
    assert dial_failed(486, "Busy Here") == DialFailed("busy", 486, "sip 486 Busy Here")
    assert dial_failed(None, "transport error") == DialFailed("failed", None, "transport error")


@pytest.mark.parametrize(
    ("status", "retried"),
    [(404, False), (484, False), (604, False), (403, False), (488, False),
     (408, True), (480, True), (503, True), (486, True), (603, True), (500, True)],
)  # fmt: skip
def test_retriability_is_read_back_from_the_report_reason(status: int, retried: bool) -> None:
    failed = dial_failed(status, "Phrase")
    assert failed.reason == f"sip {status} Phrase"
    assert retriable(failed.reason) is retried


def test_reasons_that_are_not_a_sip_status_are_retried_by_policy() -> None:
    assert retriable(None) and retriable("ring_timeout") and retriable("transport error")
