from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringcast.telephony.media.rfc4733 import (
    EventDeduplicator,
    TelephoneEvent,
    digit_to_event,
    parse_event,
)
from ringcast.telephony.media.rtp import RtpParseError

# RFC 4733 figure 1 layout: event 11 ('#'), E=1, volume 10, duration 800.
GOLDEN_END_HASH = bytes.fromhex("0b8a0320")


def test_golden_event() -> None:
    event = parse_event(GOLDEN_END_HASH)
    assert event == TelephoneEvent(event=11, end=True, volume=10, duration=800)
    assert event.digit == "#"
    assert event.serialize() == GOLDEN_END_HASH


def test_short_payload_is_a_parse_error() -> None:
    with pytest.raises(RtpParseError):
        parse_event(b"\x01\x02\x03")


def test_digit_codes() -> None:
    assert [digit_to_event(d) for d in "0123456789*#ABCD"] == list(range(16))
    assert digit_to_event("a") == 12
    with pytest.raises(ValueError, match="not a DTMF digit"):
        digit_to_event("x")


def test_non_dtmf_event_has_no_digit() -> None:
    assert TelephoneEvent(16, False, 0, 0).digit is None  # flash


@given(st.integers(0, 255), st.booleans(), st.integers(0, 63), st.integers(0, 0xFFFF))
def test_round_trip(code: int, end: bool, volume: int, duration: int) -> None:
    event = TelephoneEvent(code, end, volume, duration)
    assert parse_event(event.serialize()) == event


def test_dedup_one_digit_per_event_despite_retransmitted_ends() -> None:
    dedup = EventDeduplicator()
    got = []
    # digit 5 at ts 1000: start, two updates, three end packets; then 5 again at ts 3000
    for ts, event in [
        (1000, TelephoneEvent(5, False, 10, 160)),
        (1000, TelephoneEvent(5, False, 10, 320)),
        (1000, TelephoneEvent(5, False, 10, 480)),
        (1000, TelephoneEvent(5, True, 10, 640)),
        (1000, TelephoneEvent(5, True, 10, 640)),
        (1000, TelephoneEvent(5, True, 10, 640)),
        (3000, TelephoneEvent(5, True, 10, 640)),  # first packets lost: still one digit
        (3000, TelephoneEvent(5, True, 10, 640)),
        (5000, TelephoneEvent(16, False, 10, 160)),  # flash: not a digit
    ]:
        digit = dedup.feed(ts, event)
        if digit is not None:
            got.append(digit)
    assert got == ["5", "5"]
