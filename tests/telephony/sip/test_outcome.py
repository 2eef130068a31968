"""SIP status → dial outcome, as DESIGN.md lists it."""

from __future__ import annotations

import pytest

from ringcast.telephony.channel import DialFailed
from ringcast.telephony.sip.outcome import dial_failed, outcome_for_status


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
    assert dial_failed(486, "Busy Here") == DialFailed("busy", 486, "486 Busy Here")
    assert dial_failed(None, "transport error") == DialFailed("failed", None, "transport error")
