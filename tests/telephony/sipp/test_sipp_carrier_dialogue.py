"""What carriers' SIP does, played by sipp (issue 14): each test failed before its fix.

DTMF on the PT we offered; the status → outcome table; 3xx; early media; PRACK;
session timers; hold answers.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ringcast.telephony.channel import (
    Answered,
    ChannelEvent,
    DialFailed,
    DialRequest,
    DigitReceived,
)
from ringcast.telephony.sip import TrunkConfig, UserAgent
from ringcast.telephony.sip.channel import MediaStream, SipChannel
from ringcast.telephony.sip.outcome import retriable
from telephony.sipp.test_sipp_channel import events_until

pytestmark = pytest.mark.sipp
Sipp = Callable[..., Any]
OpenMedia = Callable[[], Awaitable[MediaStream]]


async def test_keys_on_the_pt_we_offered_count_though_the_answer_names_another(
    sipp: Sipp, open_media: OpenMedia
) -> None:
    peer = sipp("uas_dtmf_offered_pt")  # answer: telephone-event 96; keys sent with 101
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=peer.port))
    try:
        channel = SipChannel(ua, open_media)
        await channel.dial(DialRequest(to="1000", from_="ringcast"))
        await events_until(channel, Answered)
        digit = (await events_until(channel, DigitReceived, timeout_s=5))[-1]
        await channel.hangup()
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    finally:
        ua.close()
    assert digit == DigitReceived("1", "rfc4733")


async def dial_once(ua: UserAgent, open_media: OpenMedia, kind: type) -> ChannelEvent:
    channel = SipChannel(ua, open_media)
    await channel.dial(DialRequest(to="1000", from_="ringcast"))
    event = (await events_until(channel, kind))[-1]
    if isinstance(event, Answered):
        await channel.hangup()
    return event


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("uas_404", DialFailed("failed", 404, "sip 404 Not Found")),
        ("uas_484", DialFailed("failed", 484, "sip 484 Address Incomplete")),
        ("uas_480", DialFailed("no_answer", 480, "sip 480 Temporarily Unavailable")),
    ],
)
async def test_wrong_numbers_fail_and_are_marked_not_retriable(
    sipp: Sipp, open_media: OpenMedia, scenario: str, expected: DialFailed
) -> None:
    peer = sipp(scenario)
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=peer.port))
    try:
        failed = await dial_once(ua, open_media, DialFailed)
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    finally:
        ua.close()
    assert failed == expected
    assert isinstance(failed, DialFailed)
    assert retriable(failed.reason) is (expected.sip_status == 480)  # what the dialer reads


async def test_503_retry_after_holds_the_next_call_it_does_not_fail(
    sipp: Sipp, open_media: OpenMedia
) -> None:
    peer = sipp("uas_503_then_answer", calls=2)
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=peer.port))
    loop = asyncio.get_running_loop()
    try:
        first = await dial_once(ua, open_media, DialFailed)
        refused_at = loop.time()
        second = await dial_once(ua, open_media, Answered)
        waited_s = loop.time() - refused_at
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    finally:
        ua.close()
    assert first == DialFailed("failed", 503, "sip 503 Service Unavailable")
    assert isinstance(second, Answered)
    assert 1.9 <= waited_s < 4, waited_s


async def test_302_is_followed_to_the_contact(sipp: Sipp, open_media: OpenMedia) -> None:
    peer = sipp("uas_302")
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=peer.port))
    try:
        answered = await dial_once(ua, open_media, Answered)
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    finally:
        ua.close()
    assert answered == Answered("unknown", sip_status=200)


async def test_a_trunk_set_to_follow_no_redirect_fails_on_302(
    sipp: Sipp, open_media: OpenMedia
) -> None:
    peer = sipp("uas_302")
    config = TrunkConfig(host="127.0.0.1", port=peer.port, max_redirects=0)
    ua = await UserAgent.start(config)
    try:
        failed = await dial_once(ua, open_media, DialFailed)
    finally:
        ua.close()
    assert failed == DialFailed("failed", 302, "sip 302 Moved Temporarily")


@pytest.mark.parametrize("scenario", ["uas_183_sdp_200_none", "uas_100rel"])
async def test_early_media_sdp_is_the_answer_and_reliable_183_is_pracked(
    sipp: Sipp, open_media: OpenMedia, scenario: str
) -> None:
    peer = sipp(scenario)
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=peer.port))
    try:
        channel = SipChannel(ua, open_media)
        await channel.dial(DialRequest(to="1000", from_="ringcast", timeout_ms=5000))
        answered = (await events_until(channel, Answered))[-1]
        remote = channel._media.remote if channel._media is not None else None  # type: ignore[attr-defined]
        await channel.hangup()
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    finally:
        ua.close()
    assert answered == Answered("unknown", sip_status=200)
    assert remote == ("127.0.0.1", peer.media_port)  # media goes where the 183 said


async def test_hold_is_answered_recvonly_and_we_stop_sending_until_resumed(
    sipp: Sipp, open_media: OpenMedia
) -> None:
    peer = sipp("uas_hold_resume")
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=peer.port))
    try:
        channel = SipChannel(ua, open_media)
        await channel.dial(DialRequest(to="1000", from_="ringcast"))
        await events_until(channel, Answered)
        media = channel._media  # type: ignore[attr-defined]
        sent = []
        for _ in range(14):  # 0.5 s talk, 1.5 s held (sendonly, inactive), 1 s resumed
            sent.append(media.stats.packets_sent)
            await asyncio.sleep(0.25)
        await channel.hangup()
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    finally:
        ua.close()
    steps = [b - a for a, b in itertools.pairwise(sent)]
    assert steps[0] > 0  # talking
    assert 0 in steps[3:8], steps  # held: nothing sent
    assert steps[-1] > 0, steps  # resumed
    answers = [m for m in peer.messages.split("----") if "SIP/2.0 200" in m and "INVITE" in m]
    directions = [line.strip() for m in answers for line in m.splitlines() if line.strip()
                  in ("a=sendrecv", "a=recvonly", "a=inactive", "a=sendonly")]  # fmt: skip
    assert directions[-3:] == ["a=recvonly", "a=inactive", "a=sendrecv"]


@pytest.mark.parametrize(
    ("scenario", "talk_s"),
    [("uas_timer_we_refresh", 2.6), ("uas_update_refresh", 0.8), ("uas_422", 0.2)],
)
async def test_session_timers_refresh_answer_update_and_422(
    sipp: Sipp, open_media: OpenMedia, scenario: str, talk_s: float
) -> None:
    peer = sipp(scenario)
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=peer.port))
    try:
        channel = SipChannel(ua, open_media)
        await channel.dial(DialRequest(to="1000", from_="ringcast"))
        answered = (await events_until(channel, Answered))[-1]
        await asyncio.sleep(talk_s)  # the refresh / UPDATE happens meanwhile
        await channel.hangup()
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    finally:
        ua.close()
    assert answered == Answered("unknown", sip_status=200)
