"""Pause windows in the callee's own zones: the zone lookup and its cache, the
multi-zone search, and a property over both (no database)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers.timezone import time_zones_for_number

from ringcast.dialer import callee_zones
from ringcast.dialer.callee_windows import CalleeWindows
from ringcast.dialer.callee_zones import cache_key, zones_for_number
from ringcast.dialer.windows import WEEKDAYS, NoAllowedTimeError, PauseWindows

PARIS, NEW_YORK, LOS_ANGELES, TOKYO = "+33142685300", "+12125550100", "+13105550100", "+81312345678"
RUSSIAN_MOBILE = "+79123456789"  # the whole country: Europe/Bucharest (UTC+2) to Anadyr (+12)
AUSTRALIAN_MOBILE = "+61412345678"  # Cocos (+6:30) to Lord Howe (+10:30/+11)
TOLL_FREE = "+18005550199"  # NANP-wide: Guam (+10) to Adak (-10/-9)
FREEPHONE = "+80012345678"  # valid, but in no zone


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def open_9_to_20(timezone: str = "Europe/Paris") -> PauseWindows:
    night = {"startAt": {"hour": 20, "minute": 0}, "endAt": {"hour": 9, "minute": 0}}
    return PauseWindows.from_json({day: [night] for day in WEEKDAYS}, timezone)


# ---- the lookup and its cache ------------------------------------------------


def test_zones_of_single_zone_countries_and_us_area_codes():
    assert zones_for_number(PARIS) == ("Europe/Paris",)
    assert zones_for_number(NEW_YORK) == ("America/New_York",)
    assert zones_for_number(LOS_ANGELES) == ("America/Los_Angeles",)
    assert zones_for_number(TOKYO) == ("Asia/Tokyo",)
    assert zones_for_number(FREEPHONE) == ()
    assert len(zones_for_number(RUSSIAN_MOBILE)) > 10


def test_cache_keys_are_prefixes():
    # one key for all of France, one per NANP area code + exchange
    assert cache_key("+33612345678") == cache_key("+33142685300") == "33/11"
    assert cache_key("+12125550100") == cache_key("+12125550199") == "1212555/11"
    assert cache_key("+12125550100") != cache_key("+12125560100")


def test_an_unknown_number_does_not_poison_its_prefix():
    callee_zones.clear_cache()
    # invalid (a French number one digit short): unknown, cached under itself
    assert zones_for_number("+3314268530") == ()
    assert zones_for_number("+33142685301") == ("Europe/Paris",)
    callee_zones.clear_cache()


def _valid_numbers(count: int, seed: int) -> list[str]:
    """Example numbers of every region and type, with their last digits redrawn."""
    rng = random.Random(seed)
    examples = []
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in (
            phonenumbers.PhoneNumberType.FIXED_LINE,
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.TOLL_FREE,
            phonenumbers.PhoneNumberType.VOIP,
        ):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                examples.append(phonenumbers.format_number(example, 0))
    found: set[str] = set()
    while len(found) < count:
        e164 = rng.choice(examples)
        keep = rng.randint(len(e164) - 4, len(e164) - 2)
        candidate = e164[:keep] + "".join(rng.choices("0123456789", k=len(e164) - keep))
        parsed = phonenumbers.parse(candidate)
        if phonenumbers.is_valid_number(parsed) and phonenumbers.format_number(parsed, 0) == (
            candidate
        ):
            found.add(candidate)
    return sorted(found)


@pytest.mark.parametrize("seed", [1, 2])
def test_cached_answers_equal_libphonenumber_for_valid_numbers(seed):
    numbers = _valid_numbers(2500, seed)
    random.Random(seed).shuffle(numbers)  # which number fills a key first varies
    callee_zones.clear_cache()
    for number in numbers:
        exact = tuple(time_zones_for_number(phonenumbers.parse(number)))
        expected = () if exact == ("Etc/Unknown",) else exact
        assert zones_for_number(number) == expected, number
    callee_zones.clear_cache()


# ---- windows across zones ----------------------------------------------------


def test_each_number_opens_at_9_in_its_own_zone():
    callee = CalleeWindows(open_9_to_20())
    now = utc(2026, 12, 1, 15)  # Tuesday: Paris 16:00, NY 10:00, LA 07:00, Tokyo Wed 00:00
    assert callee.next_allowed(PARIS, now) == now
    assert callee.next_allowed(NEW_YORK, now) == now
    assert callee.next_allowed(LOS_ANGELES, now) == utc(2026, 12, 1, 17)
    assert callee.next_allowed(TOKYO, now) == utc(2026, 12, 2, 0)
    # unknown zone, or no number: the program's zone (Paris)
    assert callee.next_allowed(FREEPHONE, utc(2026, 12, 1, 20)) == utc(2026, 12, 2, 8)
    assert callee.next_allowed(None, utc(2026, 12, 1, 20)) == utc(2026, 12, 2, 8)


def test_several_zones_open_only_when_all_do():
    callee = CalleeWindows(open_9_to_20())
    # 12:00 UTC: Moscow 15:00, but Kamchatka and Anadyr midnight; every zone is
    # open only from 07:00 UTC (Bucharest 09:00) to 08:00 UTC (Anadyr 20:00)
    assert callee.next_allowed(RUSSIAN_MOBILE, utc(2026, 12, 1, 12)) == utc(2026, 12, 2, 7)
    assert callee.next_allowed(RUSSIAN_MOBILE, utc(2026, 12, 2, 7, 30)) == utc(2026, 12, 2, 7, 30)
    assert callee.next_allowed(RUSSIAN_MOBILE, utc(2026, 12, 2, 8)) == utc(2026, 12, 3, 7)
    # Australia in December: Cocos (+6:30) opens last, 02:30 UTC; Lord Howe (+11)
    # closes first, 09:00 UTC
    assert callee.next_allowed(AUSTRALIAN_MOBILE, utc(2026, 12, 1, 14)) == utc(2026, 12, 2, 2, 30)
    assert callee.next_allowed(AUSTRALIAN_MOBILE, utc(2026, 12, 2, 9)) == utc(2026, 12, 3, 2, 30)
    # the NANP-wide list of a toll-free number (Guam +10 to Pago Pago -11) agrees
    # only 23:00-01:00 UTC: Guam 09:00, Pago Pago 12:00, Halifax 19:00, St John's 19:30
    assert callee.next_allowed(TOLL_FREE, utc(2026, 12, 1, 12)) == utc(2026, 12, 1, 23)


def test_zones_sharing_no_time_are_never_callable():
    # open 12:00-18:00 only: Bucharest (+2/+3) and Kamchatka (+12) never agree
    afternoon = {"startAt": {"hour": 18, "minute": 0}, "endAt": {"hour": 12, "minute": 0}}
    windows = PauseWindows.from_json({day: [afternoon] for day in WEEKDAYS}, "Europe/Paris")
    callee = CalleeWindows(windows)
    assert not callee.never(RUSSIAN_MOBILE)  # not known yet: only a search tells
    with pytest.raises(NoAllowedTimeError):
        callee.next_allowed(RUSSIAN_MOBILE, utc(2026, 12, 1, 12))
    assert callee.never(RUSSIAN_MOBILE)
    assert callee.screen(utc(2026, 12, 1, 12))(RUSSIAN_MOBILE) is None  # claimed, cancelled
    assert callee.next_allowed(PARIS, utc(2026, 12, 1, 12)) == utc(2026, 12, 1, 12)
    assert not callee.never(PARIS)


def test_screen_defers_to_the_opening_and_answers_once_per_zone_list():
    callee = CalleeWindows(open_9_to_20())
    screen = callee.screen(utc(2026, 12, 1, 15))
    assert screen(PARIS) is None
    assert screen(NEW_YORK) is None
    assert screen(LOS_ANGELES) == utc(2026, 12, 1, 17)
    assert screen("+13105550199") == utc(2026, 12, 1, 17)
    assert screen(TOKYO) == utc(2026, 12, 2, 0)
    assert screen(None) is None  # deleted contact: claimed, then cancelled


NUMBERS = [PARIS, NEW_YORK, LOS_ANGELES, TOKYO, RUSSIAN_MOBILE, AUSTRALIAN_MOBILE, FREEPHONE]


def _paused_somewhere(windows: PauseWindows, number: str, at: datetime) -> bool:
    zones = zones_for_number(number) or (windows.timezone.key,)
    return any(
        PauseWindows(ZoneInfo(z), windows.weekly, windows.advanced).paused_at(at) for z in zones
    )


@settings(max_examples=200, deadline=None)
@given(
    number=st.sampled_from(NUMBERS),
    start=st.integers(6, 12),
    end=st.integers(18, 23),
    at=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    probes=st.lists(st.floats(0, 1), max_size=6),
)
def test_a_deferred_callee_is_never_called_outside_any_of_its_zones_windows(
    number, start, end, at, probes
):
    night = {"startAt": {"hour": end, "minute": 0}, "endAt": {"hour": start, "minute": 0}}
    windows = PauseWindows.from_json({day: [night] for day in WEEKDAYS}, "America/Chicago")
    at = at.replace(tzinfo=UTC)
    callee = CalleeWindows(windows)
    opening = callee.screen(at)(number)
    if callee.never(number):  # claimed only to be cancelled without a call
        return
    if opening is None:  # called now: open in every zone
        assert not _paused_somewhere(windows, number, at)
        return
    assert opening > at
    assert not _paused_somewhere(windows, number, opening)
    for fraction in probes:  # and not an earlier shared opening was skipped
        probe = at + (opening - at) * fraction
        if probe < opening:
            assert _paused_somewhere(windows, number, probe)
