"""RFC 4028 §10: a session the far end was to refresh and did not is over. sipp
negotiates a timer, never refreshes, and waits for our BYE; the call report says
`failed` / `session_expired` (outbound through `ringcast dialer`), and the same
happens to an inbound call whose caller asked for a timer (UAS side)."""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

import pytest

from carrier.test_media import WAIT_FOR_A_KEY, media_stats, place_one_call, scenario_peer
from ringcast.telephony.channel import Answered, ChannelEvent, DialRequest, RemoteHangup
from ringcast.telephony.media.clock import MediaClock
from ringcast.telephony.sip import SipCall, TrunkConfig, UserAgent
from ringcast.telephony.sip.channel import SipChannel, rtp_media
from telephony.sipp.scenarios import (
    ASSETS,
    RECV_ACK,
    RECV_INVITE,
    TRYING,
    UAC_EXPECT_BYE,
    WAIT_BYE,
    play,
    resp,
)
from telephony.sipp.test_sipp_channel import events_until

# 6 s, the far end refreshes: our BYE comes at 6 - min(32, 6 / 3) = 4 s with no refresh
NO_REFRESH = (
    RECV_INVITE + TRYING
    + resp(200, "OK", sdp=True, retrans=True,
           extra="Session-Expires: 6;refresher=uas\n      Require: timer\n      ")
    + RECV_ACK + play(str(ASSETS / "callee_human.ulaw"), loops=3) + WAIT_BYE
)  # fmt: skip

# the flow would wait 20 s for a key: the session ends it first
LONG_WAIT: dict[str, Any] = copy.deepcopy(WAIT_FOR_A_KEY)
LONG_WAIT["nodes"][1]["config"]["timeout"] = 20000


@pytest.mark.sipp
async def test_no_refresh_from_the_far_end_ends_the_call_with_our_bye(
    sipp: Any, tmp_path: Any, open_media: Any
) -> None:
    peer = scenario_peer(sipp, tmp_path, "no_refresh", NO_REFRESH)
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=peer.port))
    try:
        channel = SipChannel(ua, open_media)
        await channel.dial(DialRequest(to="1000", from_="ringcast"))
        await events_until(channel, Answered)
        answered = time.monotonic()
        ended = (await events_until(channel, RemoteHangup, timeout_s=10))[-1]
        after_s = time.monotonic() - answered
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()  # it got our BYE
    finally:
        ua.close()
    assert ended == RemoteHangup("session_expired")
    assert 3.5 <= after_s <= 5.5, after_s


async def test_an_expired_session_is_reported_failed_session_expired(
    api, db_url, sipp, dialer_process, tmp_path
):
    if not db_url.startswith("sqlite"):
        return  # one database is enough for SIP
    peer = scenario_peer(sipp, tmp_path, "no_refresh", NO_REFRESH)
    report = await place_one_call(api, peer, dialer_process, LONG_WAIT)
    attempt = report["attempts"][-1]
    assert (attempt["outcome"], attempt["outcomeReason"]) == ("failed", "session_expired"), attempt
    assert media_stats(attempt)["packetsReceived"] > 50  # the media was fine: the timer ended it
    assert 3000 <= attempt["call"]["durationMs"] <= 6000, attempt["call"]
    assert "BYE" in peer.messages


@pytest.mark.sipp
async def test_an_inbound_caller_that_asked_for_a_timer_and_never_refreshes_gets_our_bye(
    sipp: Any, tmp_path: Any, clock: MediaClock
) -> None:
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=5060))
    assert ua.transport is not None
    ended: list[ChannelEvent] = []

    async def answer(call: SipCall) -> None:  # the flow's Answer node, then nothing
        channel = SipChannel.inbound(ua, call, rtp_media(clock))
        await channel.answer()
        ended.extend(await events_until(channel, RemoteHangup, timeout_s=10))

    tasks: set[asyncio.Task[None]] = set()
    ua.on_invite = lambda call: tasks.add(asyncio.get_running_loop().create_task(answer(call)))
    asking = UAC_EXPECT_BYE.replace(
        "Max-Forwards: 70\n      Content-Type",
        "Max-Forwards: 70\n      Session-Expires: 6\n      Supported: timer\n      Content-Type",
        1,
    )
    try:
        target = f"127.0.0.1:{ua.transport.local_port}"
        peer = scenario_peer(sipp, tmp_path, "uac_timer", asking, extra=["-s", "2001", target])
        assert await asyncio.to_thread(peer.wait, 15) == 0, peer.diagnostics()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
    finally:
        ua.close()
    assert "Session-Expires: 6;refresher=uac" in peer.messages  # our 200: it refreshes
    assert ended[-1] == RemoteHangup("session_expired")
