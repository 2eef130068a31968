"""User agent over a fake transport: retransmissions, re-ACK, CANCEL rules, stray input."""

from __future__ import annotations

import asyncio
import logging
import weakref

import pytest

from ringcast.telephony.sdp import build_sdp
from ringcast.telephony.sip import (
    CallAnswered,
    CallEnded,
    CallFailed,
    CallProgress,
    CallState,
    SipCall,
    SipRequest,
    SipResponse,
    TrunkConfig,
    UserAgent,
    parse_message,
)
from ringcast.telephony.sip.message import response_to

PEER = ("127.0.0.1", 5070)


class FakeTransport:
    """Records what the UA sends; tests inject what the peer says."""

    name = "UDP"
    reliable = False
    local_host = "127.0.0.1"
    local_port = 5062

    def __init__(self) -> None:
        self.sent: list[tuple[SipRequest | SipResponse, tuple[str, int]]] = []

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sent.append((parse_message(data), addr))

    def close(self) -> None:
        pass

    def requests(self, method: str) -> list[SipRequest]:
        return [m for m, _ in self.sent if isinstance(m, SipRequest) and m.method == method]

    def responses(self, status: int) -> list[SipResponse]:
        return [m for m, _ in self.sent if isinstance(m, SipResponse) and m.status == status]


@pytest.fixture
def ua() -> tuple[UserAgent, FakeTransport]:
    agent = UserAgent(TrunkConfig(host="127.0.0.1", port=5070))
    fake = FakeTransport()
    agent.transport = fake
    return agent, fake


def feed(agent: UserAgent, message: SipRequest | SipResponse) -> None:
    agent.datagram_received(message.to_bytes(), PEER)


def answer(invite: SipRequest, status: int, reason: str = "X", sdp: bytes = b"") -> SipResponse:
    resp = response_to(invite, status, reason, to_tag="far", body=sdp,
                       content_type="application/sdp" if sdp else None,
                       extra=(("Contact", "<sip:far@127.0.0.1:5070>"),))  # fmt: skip
    return resp


def outbound(agent: UserAgent) -> SipCall:
    call = agent.new_call("1000", "me")
    call.start_invite(build_sdp("127.0.0.1", 4000, 1, 1))
    return call


async def test_invite_is_retransmitted_until_a_provisional(
    ua: tuple[UserAgent, FakeTransport],
) -> None:
    agent, fake = ua
    call = outbound(agent)
    await asyncio.sleep(0.6)  # timer A = T1 = 500 ms
    invites = fake.requests("INVITE")
    assert len(invites) == 2 and invites[0].to_bytes() == invites[1].to_bytes()
    feed(agent, answer(invites[0], 180, "Ringing"))
    await asyncio.sleep(1.1)  # A would have fired again at +1 s
    assert len(fake.requests("INVITE")) == 2
    assert isinstance(call.events.get_nowait(), CallProgress)
    agent.close()


async def test_retransmitted_2xx_is_acked_again(ua: tuple[UserAgent, FakeTransport]) -> None:
    agent, fake = ua
    call = outbound(agent)
    invite = fake.requests("INVITE")[0]
    ok = answer(invite, 200, "OK", build_sdp("127.0.0.1", 6000, 1, 1))
    feed(agent, ok)
    feed(agent, ok)
    acks = fake.requests("ACK")
    assert len(acks) == 2
    assert acks[0].uri == "sip:far@127.0.0.1:5070"  # the remote target from Contact
    assert acks[0].cseq == (1, "ACK")
    assert acks[0].top_via != invite.top_via  # a 2xx ACK is its own transaction
    assert isinstance(call.events.get_nowait(), CallAnswered)
    assert call.events.empty()  # the retransmission is not a second answer
    agent.close()


async def test_cancel_waits_for_a_provisional(ua: tuple[UserAgent, FakeTransport]) -> None:
    agent, fake = ua
    call = outbound(agent)
    invite = fake.requests("INVITE")[0]
    call.cancel()
    assert fake.requests("CANCEL") == []
    feed(agent, answer(invite, 180, "Ringing"))
    cancels = fake.requests("CANCEL")
    assert len(cancels) == 1
    assert cancels[0].top_via == invite.top_via and cancels[0].cseq == (1, "CANCEL")
    feed(agent, response_to(cancels[0], 200, "OK", to_tag="far"))
    feed(agent, answer(invite, 487, "Request Terminated"))
    assert [a.cseq for a in fake.requests("ACK")] == [(1, "ACK")]
    events = [call.events.get_nowait() for _ in range(call.events.qsize())]
    assert events[-1] == CallFailed(487, "Request Terminated")
    agent.close()


async def test_200_racing_cancel_is_acked_and_released(ua: tuple[UserAgent, FakeTransport]) -> None:
    agent, fake = ua
    call = outbound(agent)
    invite = fake.requests("INVITE")[0]
    feed(agent, answer(invite, 180, "Ringing"))
    call.cancel()
    feed(agent, answer(invite, 200, "OK", build_sdp("127.0.0.1", 6000, 1, 1)))
    assert len(fake.requests("ACK")) == 1 and len(fake.requests("BYE")) == 1
    assert call.state is CallState.ENDED
    agent.close()


class Listener:
    """Stands for the channel (its media, the flow) a call reports to."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def hear(self, event: object) -> None:
        self.events.append(event)


def listened(
    agent: UserAgent, fake: FakeTransport
) -> tuple[SipCall, Listener, SipRequest, SipResponse]:
    """An outbound call reporting to a `Listener`, its INVITE and a 200 OK to it."""
    call = outbound(agent)
    listener = Listener()
    call.listener = listener.hear
    invite = fake.requests("INVITE")[0]
    return call, listener, invite, answer(invite, 200, "OK", build_sdp("127.0.0.1", 6000, 1, 1))


async def test_an_ended_call_lets_go_of_its_listener_while_its_invite_lingers(
    ua: tuple[UserAgent, FakeTransport],
) -> None:
    # RFC 6026: the answered INVITE's transaction lives on for Timer M (32 s) to re-ACK
    # retransmitted 2xx; it must not keep the channel (and the flow behind it) alive
    agent, fake = ua
    call, listener, _, ok = listened(agent, fake)
    feed(agent, ok)
    call.hangup()  # our BYE: the call ends
    feed(agent, response_to(fake.requests("BYE")[0], 200, "OK"))
    assert call.state is CallState.ENDED
    assert [type(e) for e in listener.events] == [CallAnswered]
    await asyncio.sleep(0)  # the release comes right after the step that ended the call
    gone = weakref.ref(listener)
    del listener
    assert gone() is None  # freed by reference counting: nothing in the UA holds it
    assert any(key[1] == "INVITE" for key in agent._client)  # Timer M still running
    feed(agent, ok)  # a retransmitted 2xx is still ACKed again
    assert len(fake.requests("ACK")) == 2
    agent.close()


async def test_a_200_racing_cancel_still_reports_its_487_before_the_release(
    ua: tuple[UserAgent, FakeTransport],
) -> None:
    agent, fake = ua
    call, listener, invite, ok = listened(agent, fake)
    feed(agent, answer(invite, 180, "Ringing"))
    call.cancel()
    feed(agent, ok)
    await asyncio.sleep(0)
    assert listener.events[-1] == CallFailed(487, "Request Terminated")
    agent.close()


async def test_remote_bye_and_unknown_requests(ua: tuple[UserAgent, FakeTransport]) -> None:
    agent, fake = ua
    call = outbound(agent)
    invite = fake.requests("INVITE")[0]
    feed(agent, answer(invite, 200, "OK", build_sdp("127.0.0.1", 6000, 1, 1)))
    assert call.dialog is not None
    bye = call.dialog.create_request("BYE", "SIP/2.0/UDP 127.0.0.1:5070", "<sip:far@127.0.0.1>")
    # seen from the far end: swap From/To
    frm, to = bye.headers.get("From") or "", bye.headers.get("To") or ""
    bye.headers.set("From", to)
    bye.headers.set("To", frm)
    bye.headers.set("CSeq", "1 BYE")
    feed(agent, bye)
    assert fake.responses(200)[-1].cseq == (1, "BYE")
    events = [call.events.get_nowait() for _ in range(call.events.qsize())]
    assert events[-1] == CallEnded("remote", "bye")
    feed(agent, bye)  # retransmitted BYE: answered again by the transaction
    assert len([r for r in fake.responses(200) if r.cseq == (1, "BYE")]) == 2
    stray = SipRequest(bye.headers.copy(), b"", "BYE", bye.uri)
    stray.headers.set("Call-ID", "nobody")
    stray.headers.set("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKother")
    feed(agent, stray)
    assert fake.responses(481)
    agent.close()


async def test_out_of_dialog_options_is_answered(ua: tuple[UserAgent, FakeTransport]) -> None:
    agent, fake = ua
    options = parse_message(
        b"OPTIONS sip:ringcast@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKo\r\n"
        b"From: <sip:probe@x>;tag=1\r\nTo: <sip:ringcast@127.0.0.1>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\n\r\n"
    )
    assert isinstance(options, SipRequest)
    feed(agent, options)
    ok = fake.responses(200)
    assert ok and "INVITE" in (ok[0].headers.get("Allow") or "")
    agent.close()


async def test_inbound_200_is_retransmitted_until_ack(ua: tuple[UserAgent, FakeTransport]) -> None:
    agent, fake = ua
    offered: list[SipCall] = []
    agent.on_invite = offered.append
    invite = parse_message(
        b"INVITE sip:2001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKi\r\n"
        b"From: <sip:caller@x>;tag=c1\r\nTo: <sip:2001@127.0.0.1>\r\nCall-ID: in1\r\nCSeq: 5 INVITE\r\n"
        b"Contact: <sip:caller@127.0.0.1:5070>\r\n\r\n"
    )
    assert isinstance(invite, SipRequest)
    feed(agent, invite)
    assert [r.status for r, _ in fake.sent if isinstance(r, SipResponse)] == [100]
    assert len(fake.sent) == 1
    (call,) = offered
    assert (call.dialed_user, call.caller_user) == ("2001", "caller")
    call.answer(build_sdp("127.0.0.1", 4000, 1, 1))
    await asyncio.sleep(0.6)
    oks = fake.responses(200)
    assert len(oks) == 2  # sent, then retransmitted at T1
    ack = parse_message(
        b"ACK sip:ringcast@127.0.0.1:5062 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa\r\n"
        b"From: <sip:caller@x>;tag=c1\r\nTo: " + (oks[0].headers.get("To") or "").encode()
        + b"\r\nCall-ID: in1\r\nCSeq: 5 ACK\r\n\r\n"
    )  # fmt: skip
    feed(agent, ack)
    await asyncio.sleep(1.1)
    assert len(fake.responses(200)) == 2  # no more after the ACK
    assert call.state is CallState.CONFIRMED
    agent.close()


async def test_garbage_is_counted_and_dropped(ua: tuple[UserAgent, FakeTransport]) -> None:
    agent, fake = ua
    for junk in (b"\x00\x01", b"SIP/2.0 200 OK\r\n\r\n", b"BYE x SIP/2.0\r\nVia: ???\r\n\r\n"):
        agent.datagram_received(junk, PEER)
    agent.datagram_received(b"\r\n\r\n", PEER)  # a keep-alive is not garbage
    assert agent.dropped_messages == 3
    assert fake.sent == []


async def test_a_storm_of_stray_messages_is_counted_each_but_logged_once(
    ua: tuple[UserAgent, FakeTransport], caplog: pytest.LogCaptureFixture
) -> None:
    """A peer retransmitting 2xx for calls long gone used to log a line per message."""
    agent, _ = ua
    stray = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKgone\r\n" \
        b"From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: gone\r\n" \
        b"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="ringcast.telephony.sip"):
        for _ in range(500):
            agent.datagram_received(stray, PEER)
    assert agent.dropped_messages == 500
    dropped = [r for r in caplog.records if "dropped SIP message" in r.getMessage()]
    assert len(dropped) == 1, [r.getMessage() for r in dropped[:3]]


# ---- fuzzing the whole receive path ---------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _in_dialog_samples(agent: UserAgent, fake: FakeTransport) -> list[bytes]:
    call = outbound(agent)
    invite = fake.requests("INVITE")[0]
    ok = answer(invite, 200, "OK", build_sdp("127.0.0.1", 6000, 1, 1))
    feed(agent, ok)
    assert call.dialog is not None
    samples = [ok.to_bytes()]
    for method in ("BYE", "INFO", "INVITE", "OPTIONS"):
        req = call.dialog.create_request(
            method, "SIP/2.0/UDP 127.0.0.1:5070", "<sip:far@127.0.0.1>"
        )
        frm, to = req.headers.get("From") or "", req.headers.get("To") or ""
        req.headers.set("From", to)
        req.headers.set("To", frm)
        req.headers.set("CSeq", f"9 {method}")
        if method == "INFO":
            req.headers.add("Content-Type", "application/dtmf-relay")
            req.body = b"Signal=5\r\nDuration=160\r\n"
        if method == "INVITE":
            req.headers.add("Content-Type", "application/sdp")
            req.body = build_sdp("127.0.0.1", 6002, 1, 2)
        samples.append(req.to_bytes())
    return samples


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 4), st.integers(0, 2000), st.integers(0, 30), st.binary(max_size=16))
def test_fuzz_mid_call_datagrams_never_break_the_ua(
    which: int, position: int, cut: int, insert: bytes
) -> None:
    async def scenario() -> None:
        agent = UserAgent(TrunkConfig(host="127.0.0.1", port=5070))
        fake = FakeTransport()
        agent.transport = fake
        samples = _in_dialog_samples(agent, fake)
        base = samples[which]
        pos = position % (len(base) + 1)
        agent.datagram_received(base[:pos] + insert + base[pos + cut :], PEER)
        assert agent.internal_errors == 0
        agent.close()

    asyncio.run(scenario())


STEP = st.one_of(
    st.tuples(
        st.just("resp"),
        st.sampled_from([100, 180, 183, 200, 401, 407, 486, 487, 603]),
        st.sampled_from(["a", "b", ""]),
    ),
    st.tuples(st.sampled_from(["cancel", "hangup"]), st.just(0), st.just("")),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, max_size=12))
def test_outbound_call_reports_one_outcome_whatever_the_peer_says(
    steps: list[tuple[str, int, str]],
) -> None:
    """Any order of responses and local cancel/hangup: no internal error, one outcome."""

    async def scenario() -> None:
        agent = UserAgent(TrunkConfig(host="127.0.0.1", port=5070, username="u", password="p"))
        fake = FakeTransport()
        agent.transport = fake
        call = outbound(agent)
        for kind, status, tag in steps:
            if kind == "cancel":
                call.cancel()
            elif kind == "hangup":
                call.hangup()
            else:
                invite = fake.requests("INVITE")[-1]
                extra: tuple[tuple[str, str], ...] = (("Contact", "<sip:far@127.0.0.1:5070>"),)
                if status in (401, 407):
                    name = "WWW-Authenticate" if status == 401 else "Proxy-Authenticate"
                    extra += ((name, 'Digest realm="r", nonce="n", qop="auth"'),)
                resp = response_to(invite, status, "X", to_tag=tag or None, extra=extra)
                agent.datagram_received(resp.to_bytes(), PEER)
        assert agent.internal_errors == 0
        events = [call.events.get_nowait() for _ in range(call.events.qsize())]
        finals = [e for e in events if isinstance(e, CallAnswered | CallFailed)]
        assert len(finals) <= 1, events
        if finals and isinstance(finals[0], CallFailed):
            assert call.state is CallState.ENDED
        assert len(fake.requests("INVITE")) <= 3  # at most two challenges answered
        agent.close()

    asyncio.run(scenario())


INBOUND = (
    b"INVITE sip:2001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKr\r\n"
    b"From: <sip:caller@x>;tag=c1\r\nTo: <sip:2001@127.0.0.1>\r\nCall-ID: in9\r\nCSeq: 1 INVITE\r\n\r\n"
)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ((b"CSeq: 1", b"Require: 100rel\r\nCSeq: 1"), 420),
        ((b"To: <sip:2001@127.0.0.1>", b"To: <sip:2001@127.0.0.1>;tag=gone"), 481),
        ((b"X", b"X"), 100),  # unchanged: accepted (100 Trying, then the handler decides)
    ],
)
def test_inbound_invite_refusals(change: tuple[bytes, bytes], status: int) -> None:
    async def scenario() -> None:
        agent = UserAgent(TrunkConfig(host="127.0.0.1", port=5070))
        fake = FakeTransport()
        agent.transport = fake
        offered: list[SipCall] = []
        agent.on_invite = offered.append
        agent.datagram_received(INBOUND.replace(*change), PEER)
        first = fake.sent[0][0]
        assert isinstance(first, SipResponse) and first.status == status
        assert len(offered) == (1 if status == 100 else 0)
        if status == 420:
            assert first.headers.get("Unsupported") == "100rel"
        agent.close()

    asyncio.run(scenario())
