"""The user agent (signalling only) against a real sipp UAS on loopback."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ringcast.telephony.sdp import build_sdp
from ringcast.telephony.sip import (
    CallAnswered,
    CallEnded,
    CallEvent,
    CallFailed,
    CallProgress,
    SipCall,
    TrunkConfig,
    UserAgent,
    transaction,
)
from ringcast.telephony.sip.auth import verify_authorization

pytestmark = pytest.mark.sipp
Sipp = Callable[..., Any]  # the `sipp` fixture of conftest.py (not importable here)


@pytest.fixture
def rtp_sink() -> Iterator[int]:
    """A socket that swallows the peer's RTP so nothing bounces as ICMP."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    yield s.getsockname()[1]
    s.close()


async def next_final(call: SipCall, timeout_s: float = 15) -> CallEvent:
    """Skip provisional responses; return the first event that is not one."""
    while True:
        event = await asyncio.wait_for(call.events.get(), timeout_s)
        if not isinstance(event, CallProgress):
            return event


async def dial(ua: UserAgent, port: int) -> SipCall:
    call = ua.new_call("1000", "ringcast")
    call.start_invite(build_sdp("127.0.0.1", port, 1, 1))
    return call


async def start_ua(port: int, **kw: object) -> UserAgent:
    return await UserAgent.start(TrunkConfig(host="127.0.0.1", port=port, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("scenario", "status", "reason"),
    [
        ("uas_486", 486, "Busy Here"),
        ("uas_603", 603, "Decline"),
        ("uas_480", 480, "Temporarily Unavailable"),
    ],
)
async def test_final_failure_is_acked_and_reported(
    sipp: Sipp, rtp_sink: int, scenario: str, status: int, reason: str
) -> None:
    peer = sipp(scenario)
    ua = await start_ua(peer.port)
    try:
        call = await dial(ua, rtp_sink)
        event = await next_final(call)
        assert event == CallFailed(status, reason)
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    finally:
        ua.close()


async def test_answer_then_our_bye(sipp: Sipp, rtp_sink: int) -> None:
    peer = sipp("uas_answer")
    ua = await start_ua(peer.port)
    try:
        call = await dial(ua, rtp_sink)
        event = await next_final(call)
        assert isinstance(event, CallAnswered)
        assert b"m=audio" in event.sdp
        call.hangup()
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
        assert "BYE sip:" in peer.messages
    finally:
        ua.close()


async def test_a_2xx_after_the_invite_timed_out_is_acked_and_byed(
    sipp: Sipp, rtp_sink: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The far end answers after our INVITE timed out (no provisional, Timer B): the
    call has failed, but sipp's 200 gets its ACK and then our BYE (§13.2.2.4), instead
    of being dropped while the callee sits in a call nobody hears."""
    monkeypatch.setattr(transaction, "T1_MS", 50)  # Timer B = 64 * T1 = 3.2 s < 4 s
    peer = sipp("uas_late_ok")
    ua = await start_ua(peer.port)
    try:
        call = await dial(ua, rtp_sink)
        event = await next_final(call)
        assert isinstance(event, CallFailed) and event.status is None, event
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
        assert "BYE sip:" in peer.messages
    finally:
        ua.close()


async def test_callee_bye_ends_the_call(sipp: Sipp, rtp_sink: int) -> None:
    peer = sipp("uas_callee_bye")
    ua = await start_ua(peer.port)
    try:
        call = await dial(ua, rtp_sink)
        assert isinstance(await next_final(call), CallAnswered)
        assert await next_final(call) == CallEnded("remote", "bye")
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    finally:
        ua.close()


async def test_ring_timeout_sends_cancel_and_acks_487(sipp: Sipp, rtp_sink: int) -> None:
    peer = sipp("uas_noanswer")
    ua = await start_ua(peer.port)
    try:
        call = await dial(ua, rtp_sink)
        assert isinstance(await asyncio.wait_for(call.events.get(), 5), CallProgress)
        call.cancel()
        assert await next_final(call) == CallFailed(487, "Request Terminated")
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
        assert re.search(r"CANCEL sip:\S+ SIP/2.0", peer.messages)
    finally:
        ua.close()


@pytest.mark.parametrize("scenario", ["uas_auth401", "uas_auth401qop", "uas_auth407"])
async def test_digest_challenge_is_answered(sipp: Sipp, rtp_sink: int, scenario: str) -> None:
    peer = sipp(scenario)
    ua = await start_ua(peer.port, username="alice", password="secret")
    try:
        call = await dial(ua, rtp_sink)
        assert isinstance(await next_final(call), CallAnswered)
        call.hangup()
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    finally:
        ua.close()
    header = "Proxy-Authorization" if scenario.endswith("407") else "Authorization"
    creds = re.findall(rf"^{header}: (.*)$", peer.messages, re.M)
    assert creds, peer.messages
    # sipp checks Authorization itself; for 407 (and as a second check) recompute the digest
    assert verify_authorization(creds[0].strip(), "secret", "INVITE")
    assert not verify_authorization(creds[0].strip(), "wrong", "INVITE")
    if scenario.endswith("qop") or scenario.endswith("407"):
        assert "qop=auth" in creds[0] and "nc=00000001" in creds[0]


async def test_wrong_password_is_refused_by_sipp(sipp: Sipp, rtp_sink: int) -> None:
    peer = sipp("uas_auth401")
    ua = await start_ua(peer.port, username="alice", password="not-secret")
    try:
        call = await dial(ua, rtp_sink)
        assert await next_final(call) == CallFailed(403, "Forbidden (bad digest)")
    finally:
        ua.close()
        peer.wait()


async def test_tcp_transport_call_and_bye(sipp: Sipp, rtp_sink: int) -> None:
    peer = sipp("uas_answer", transport="tcp")
    ua = await start_ua(peer.port, transport="tcp")
    try:
        call = await dial(ua, rtp_sink)
        event = await next_final(call)
        assert isinstance(event, CallAnswered)
        call.hangup()
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    finally:
        ua.close()
    assert "TCP message received" in peer.messages
    assert "SIP/2.0/TCP" in peer.messages and "BYE sip:" in peer.messages


async def test_tcp_busy_is_acked(sipp: Sipp, rtp_sink: int) -> None:
    peer = sipp("uas_486", transport="tcp")
    ua = await start_ua(peer.port, transport="tcp")
    try:
        call = await dial(ua, rtp_sink)
        assert await next_final(call) == CallFailed(486, "Busy Here")
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
    finally:
        ua.close()


async def test_many_concurrent_calls_on_one_socket(sipp: Sipp, rtp_sink: int) -> None:
    peer = sipp("uas_load", calls=40)
    ua = await start_ua(peer.port)
    try:
        calls = [await dial(ua, rtp_sink) for _ in range(40)]
        answered = await asyncio.gather(*(next_final(c) for c in calls))
        assert all(isinstance(e, CallAnswered) for e in answered)
        assert len({c.call_id for c in calls}) == 40
        ua.hangup_all()
        assert await asyncio.to_thread(peer.wait) == 0, peer.diagnostics()
        assert ua.calls == {}
    finally:
        ua.close()
