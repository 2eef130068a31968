"""What carriers' SIP does, played by sipp (issue 14): each test failed before its fix.

DTMF on the PT we offered; the status → outcome table; 3xx; early media; PRACK;
session timers; hold answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ringcast.telephony.channel import Answered, DialRequest, DigitReceived
from ringcast.telephony.sip import TrunkConfig, UserAgent
from ringcast.telephony.sip.channel import MediaStream, SipChannel
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
