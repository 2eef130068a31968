from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringcast.dialer.windows import WEEKDAYS, NoAllowedTimeError, PauseWindows


def win(h1: int, m1: int, h2: int, m2: int) -> dict[str, dict[str, int]]:
    return {"startAt": {"hour": h1, "minute": m1}, "endAt": {"hour": h2, "minute": m2}}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_same_day_window_end_is_exclusive():
    w = PauseWindows.from_json({"monday": [win(12, 0, 14, 0)]}, "UTC")
    monday = utc(2026, 11, 23)
    assert w.next_allowed(monday.replace(hour=12, minute=30)) == monday.replace(hour=14)
    assert w.next_allowed(monday.replace(hour=12)) == monday.replace(hour=14)
    assert not w.paused_at(monday.replace(hour=14))
    assert not w.paused_at(monday.replace(hour=11, minute=59))
    # another weekday is not affected
    assert not w.paused_at(monday.replace(hour=12, minute=30) + timedelta(days=1))


def test_overnight_window_runs_into_the_next_day_in_program_timezone():
    w = PauseWindows.from_json({"monday": [win(22, 0, 6, 0)]}, "Europe/Paris")
    # Monday 23 Nov 2026 23:00 Paris (CET, UTC+1) = 22:00 UTC
    assert w.next_allowed(utc(2026, 11, 23, 22)) == utc(2026, 11, 24, 5)
    # Tuesday 03:00 Paris is still Monday's window
    assert w.next_allowed(utc(2026, 11, 24, 2)) == utc(2026, 11, 24, 5)
    # Tuesday 23:00 Paris: no Tuesday window
    assert not w.paused_at(utc(2026, 11, 24, 22))
    # Monday 21:59 Paris: before it
    assert not w.paused_at(utc(2026, 11, 23, 20, 59))


def test_chained_windows_and_holidays_jump_to_the_last_end():
    nightly = {day: [win(21, 0, 8, 0)] for day in WEEKDAYS}
    data = {
        **nightly,
        "advanced": [{"startAt": "2026-12-25T07:00:00Z", "endAt": "2026-12-26T09:00:00Z"}],
    }
    w = PauseWindows.from_json(data, "UTC")
    # Thursday 24 Dec 22:00 → nightly to 25 Dec 08:00, holiday from 07:00 to 26 Dec 09:00
    assert w.next_allowed(utc(2026, 12, 24, 22)) == utc(2026, 12, 26, 9)
    assert w.next_allowed(utc(2026, 12, 25, 12)) == utc(2026, 12, 26, 9)
    assert w.next_allowed(utc(2026, 12, 27, 12)) == utc(2026, 12, 27, 12)


def test_paris_spring_forward_window_ending_in_the_gap_ends_at_the_jump():
    # 29 Mar 2026: 02:00 CET → 03:00 CEST (01:00 UTC); 02:30 never shows on the clock
    w = PauseWindows.from_json({"sunday": [win(1, 0, 2, 30)]}, "Europe/Paris")
    end = w.next_allowed(utc(2026, 3, 29, 0, 30))  # 01:30 CET
    assert end == utc(2026, 3, 29, 1, 0)
    assert not w.paused_at(end)
    assert w.paused_at(end - timedelta(seconds=1))


def test_paris_spring_forward_overnight_window_ends_at_local_wall_time():
    nightly = {day: [win(20, 0, 8, 0)] for day in WEEKDAYS}
    w = PauseWindows.from_json(nightly, "Europe/Paris")
    # Saturday 28 Mar 21:00 CET → Sunday 08:00 CEST = 06:00 UTC (not 07:00)
    assert w.next_allowed(utc(2026, 3, 28, 20)) == utc(2026, 3, 29, 6)


def test_paris_fall_back_repeated_hour_is_paused_both_times():
    # 25 Oct 2026: 03:00 CEST → 02:00 CET at 01:00 UTC; 02:00-02:59 shows twice
    w = PauseWindows.from_json({"sunday": [win(1, 0, 2, 30)]}, "Europe/Paris")
    assert w.next_allowed(utc(2026, 10, 24, 23, 30)) == utc(2026, 10, 25, 0, 30)  # 02:30 CEST
    assert not w.paused_at(utc(2026, 10, 25, 0, 45))  # 02:45 CEST
    assert w.next_allowed(utc(2026, 10, 25, 1, 0)) == utc(2026, 10, 25, 1, 30)  # 02:00→02:30 CET


def test_new_york_dst_changes_move_the_utc_end():
    w = PauseWindows.from_json({"sunday": [win(0, 0, 9, 0)]}, "America/New_York")
    # 8 Mar 2026 spring forward: 09:00 EDT = 13:00 UTC
    assert w.next_allowed(utc(2026, 3, 8, 5)) == utc(2026, 3, 8, 13)
    # 1 Nov 2026 fall back: 09:00 EST = 14:00 UTC
    assert w.next_allowed(utc(2026, 11, 1, 5)) == utc(2026, 11, 1, 14)


def test_windows_covering_every_instant_raise():
    w = PauseWindows.from_json({day: [win(0, 0, 0, 0)] for day in WEEKDAYS}, "UTC")
    with pytest.raises(NoAllowedTimeError):
        w.next_allowed(utc(2026, 1, 1))


ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
window_st = st.tuples(
    st.integers(0, 23),
    st.sampled_from([0, 15, 30, 45]),
    st.integers(0, 23),
    st.sampled_from([0, 30]),
).filter(lambda t: (t[0], t[1]) != (t[2], t[3]))


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    days=st.dictionaries(st.sampled_from(WEEKDAYS), st.lists(window_st, max_size=2), max_size=5),
    at=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),
    probes=st.lists(st.floats(0, 1), max_size=5),
)
def test_next_allowed_is_the_first_unpaused_instant(zone, days, at, probes):
    data = {d: [win(*t) for t in ws] for d, ws in days.items()}
    w = PauseWindows.from_json(data, zone)
    at = at.replace(tzinfo=UTC)
    try:
        result = w.next_allowed(at)
    except NoAllowedTimeError:
        return
    assert result >= at
    assert not w.paused_at(result)
    for fraction in probes:  # everything between is paused
        probe = at + (result - at) * fraction
        if probe < result:
            assert w.paused_at(probe)
