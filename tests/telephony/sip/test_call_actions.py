"""`SipCall` on its own: it does no I/O, it hands actions to whoever runs it."""

from __future__ import annotations

from collections.abc import Sequence

from ringcast.telephony.sdp import build_sdp
from ringcast.telephony.sip import CallAnswered, SipCall, TrunkConfig
from ringcast.telephony.sip.actions import (
    CancelTimer,
    Finished,
    Respond,
    SendAck,
    SendRequest,
    StartTimer,
    TransactionUser,
    UserAction,
)
from ringcast.telephony.sip.call import CANCEL_GUARD, OK_TIMER
from ringcast.telephony.sip.call_state import CallState
from ringcast.telephony.sip.message import SipRequest, parse_message, response_to
from ringcast.telephony.sip.transport import LocalEndpoint

UDP = LocalEndpoint("127.0.0.1", 5062, "UDP", reliable=False)
CONFIG = TrunkConfig(host="127.0.0.1", port=5070)


class Recorder:
    def __init__(self) -> None:
        self.actions: list[UserAction] = []

    def __call__(self, user: TransactionUser, actions: Sequence[UserAction]) -> None:
        self.actions.extend(actions)

    def take(self) -> list[UserAction]:
        got, self.actions = self.actions, []
        return got


def test_an_outbound_call_asks_for_its_invite_ack_and_timers() -> None:
    out = Recorder()
    call = SipCall.outbound(out, UDP, CONFIG, "1000", "me")
    call.start_invite(build_sdp("127.0.0.1", 4000, 1, 1))
    (send,) = out.take()
    assert isinstance(send, SendRequest) and send.label == "invite"
    assert send.request.method == "INVITE" and send.addr == ("127.0.0.1", 5070)
    assert send.request.uri == "sip:1000@127.0.0.1:5070"  # UDP: no transport= parameter
    ok = response_to(send.request, 200, "OK", to_tag="far", body=b"v=0\r\n",
                     extra=(("Contact", "<sip:far@127.0.0.1:5070>"),))  # fmt: skip
    call.on_response("invite", ok)
    (ack,) = out.take()
    assert isinstance(ack, SendAck) and ack.message.method == "ACK"
    assert call.events.get_nowait() == CallAnswered(b"v=0\r\n", 200)
    call.hangup()
    after = out.take()
    assert [a.request.method for a in after if isinstance(a, SendRequest)] == ["BYE"]
    assert Finished() in after  # the BYE's own transaction outlives the call


def test_cancel_before_a_provisional_arms_the_guard_timer() -> None:
    out = Recorder()
    call = SipCall.outbound(out, UDP, CONFIG, "1000", "me")
    call.start_invite(b"")
    out.take()
    call.cancel()
    assert out.take() == [StartTimer(CANCEL_GUARD, 32000)]
    call.on_timer(CANCEL_GUARD)
    assert call.state is CallState.ENDED
    assert out.take() == [Finished()]


def test_an_inbound_answer_retransmits_its_2xx_until_the_ack() -> None:
    out = Recorder()
    invite = parse_message(
        b"INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKx\r\n"
        b"From: <sip:a@x>;tag=1\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n"
        b"Contact: <sip:a@127.0.0.1:5070>\r\nContent-Length: 0\r\n\r\n"
    )
    assert isinstance(invite, SipRequest)
    call = SipCall.inbound(out, UDP, CONFIG, invite, ("127.0.0.1", 5070))
    call.answer(b"v=0\r\n")
    respond, timer = out.take()
    assert isinstance(respond, Respond) and respond.response.status == 200
    assert timer == StartTimer(OK_TIMER, 500)
    call.on_timer(OK_TIMER)
    respond, timer = out.take()
    assert isinstance(respond, Respond) and timer == StartTimer(OK_TIMER, 1000)
    ack = call.dialog.create_request("ACK", "SIP/2.0/UDP 127.0.0.1:5070", "<sip:a@x>", 1)  # type: ignore[union-attr]
    call.on_ack(ack)
    assert out.take() == [CancelTimer(OK_TIMER)]
