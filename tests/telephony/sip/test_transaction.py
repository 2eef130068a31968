"""Transaction state machines: table coverage, timers, illegal transitions, property tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringcast.telephony.sip import SipRequest, SipResponse, SipStateError, parse_message
from ringcast.telephony.sip.message import response_to
from ringcast.telephony.sip.transaction import (
    INVITE_CLIENT,
    INVITE_SERVER,
    NON_INVITE_CLIENT,
    NON_INVITE_SERVER,
    Action,
    CancelTimer,
    Deliver,
    StartTimer,
    Terminated,
    TimedOut,
    Transaction,
    Transmit,
    TxState,
    invite_client,
    invite_server,
    non_invite_client,
    non_invite_server,
)

RAW = (
    b"INVITE sip:1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
    b"From: <sip:a@x>;tag=1\r\nTo: <sip:1@x>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def invite() -> SipRequest:
    msg = parse_message(RAW)
    assert isinstance(msg, SipRequest)
    return msg


def options() -> SipRequest:
    msg = parse_message(RAW.replace(b"INVITE", b"OPTIONS"))
    assert isinstance(msg, SipRequest)
    return msg


def reply(req: SipRequest, status: int) -> SipResponse:
    return response_to(req, status, "X", to_tag="t")


def timers(actions: list[Action]) -> list[tuple[str, int]]:
    return [(a.name, a.delay_ms) for a in actions if isinstance(a, StartTimer)]


def test_invite_client_retransmits_with_doubling_timer_a() -> None:
    tx = invite_client(invite(), reliable=False)
    start = tx.handle("start")
    assert isinstance(start[0], Transmit)
    assert timers(start) == [("timer_A", 500), ("timer_B", 32000)]
    delays = [timers(tx.handle("timer_A"))[0][1] for _ in range(3)]
    assert delays == [1000, 2000, 4000]
    assert [type(a) for a in tx.handle("timer_B")] == [TimedOut, Terminated]
    assert tx.state is TxState.TERMINATED


def test_invite_client_acks_non_2xx_in_the_transaction_and_absorbs_retransmissions() -> None:
    req = invite()
    tx = invite_client(req, reliable=False)
    tx.handle("start")
    assert tx.state is TxState.CALLING
    tx.handle("1xx", reply(req, 180))
    assert tx.state.value == "proceeding"
    actions = tx.handle("final", reply(req, 486))
    acks = [a.message for a in actions if isinstance(a, Transmit)]
    assert len(acks) == 1 and isinstance(acks[0], SipRequest) and acks[0].method == "ACK"
    assert acks[0].top_via == req.top_via  # same branch: part of the INVITE transaction
    assert acks[0].cseq == (1, "ACK")
    assert any(isinstance(a, Deliver) for a in actions)
    again = tx.handle("final", reply(req, 486))  # retransmitted 486: ACK again, not delivered
    assert [type(a) for a in again] == [Transmit]
    assert timers(actions) == [("timer_D", 32000)]


def test_invite_client_2xx_retransmissions_reach_the_tu() -> None:
    req = invite()
    tx = invite_client(req, reliable=True)
    assert timers(tx.handle("start")) == [("timer_B", 32000)]  # no timer A on TCP
    first = tx.handle("2xx", reply(req, 200))
    assert tx.state is TxState.ACCEPTED
    assert any(isinstance(a, Deliver) for a in first)
    assert any(isinstance(a, Deliver) for a in tx.handle("2xx", reply(req, 200)))
    tx.handle("timer_M")
    assert tx.state.value == "terminated"


def test_non_invite_client_timer_e_caps_at_t2() -> None:
    tx = non_invite_client(options(), reliable=False)
    tx.handle("start")
    delays = [timers(tx.handle("timer_E"))[0][1] for _ in range(5)]
    assert delays == [1000, 2000, 4000, 4000, 4000]
    tx.handle("2xx", reply(options(), 200))
    assert tx.state is TxState.COMPLETED
    assert [type(a) for a in tx.handle("timer_K")] == [Terminated]


def test_invite_server_retransmits_final_until_ack() -> None:
    req = invite()
    tx = invite_server(req, reliable=False)
    tx.handle("send_1xx", reply(req, 100))
    assert [type(a) for a in tx.handle("request", req)] == [Transmit]  # resend the 100
    actions = tx.handle("send_final", reply(req, 486))
    assert timers(actions) == [("timer_G", 500), ("timer_H", 32000)]
    assert timers(tx.handle("timer_G")) == [("timer_G", 1000)]
    actions = tx.handle("ack", req)
    assert tx.state is TxState.CONFIRMED
    assert CancelTimer("timer_G") in actions and CancelTimer("timer_H") in actions


def test_non_invite_server_absorbs_and_resends() -> None:
    req = options()
    tx = non_invite_server(req, reliable=True)
    assert tx.handle("request", req) == []
    ok = reply(req, 200)
    actions = tx.handle("send_2xx", ok)
    assert actions[0] == Transmit(ok)
    assert timers(actions) == [("timer_J", 0)]
    assert tx.handle("request", req) == [Transmit(ok)]


@pytest.mark.parametrize(
    ("factory", "event"),
    [
        (invite_client, "send_2xx"),
        (non_invite_client, "ack"),
        (invite_server, "timer_A"),
        (non_invite_server, "2xx"),
    ],
)
def test_illegal_transition_raises(
    factory: Callable[[SipRequest, bool], Transaction], event: str
) -> None:
    tx = factory(invite(), False)
    with pytest.raises(SipStateError):
        tx.handle(event)


TABLES = {
    "invite_client": (INVITE_CLIENT, invite_client),
    "non_invite_client": (NON_INVITE_CLIENT, non_invite_client),
    "invite_server": (INVITE_SERVER, invite_server),
    "non_invite_server": (NON_INVITE_SERVER, non_invite_server),
}


@pytest.mark.parametrize("name", sorted(TABLES))
@pytest.mark.parametrize("reliable", [True, False])
def test_every_row_runs(name: str, reliable: bool) -> None:
    """Each (state, event) row can execute its actions (catches table typos)."""
    table, factory = TABLES[name]
    req = invite()
    for (state, event), (next_state, _) in table.items():
        tx = factory(req, reliable)
        tx.state = state
        tx.last_response = reply(req, 180)
        status = 200 if "2xx" in event else 486 if "final" in event else 180
        msg = reply(req, status) if event.endswith(("xx", "final")) else req
        tx.handle(event, msg)
        assert tx.state is next_state


EVENTS = sorted({e for table in (INVITE_CLIENT, INVITE_SERVER, NON_INVITE_CLIENT, NON_INVITE_SERVER)
                 for _, e in table})  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(TABLES)), st.booleans(), st.lists(st.sampled_from(EVENTS), max_size=25)
)
def test_random_event_sequences(name: str, reliable: bool, events: list[str]) -> None:
    """Only SipStateError escapes; a terminated transaction accepts nothing more."""
    table, factory = TABLES[name]
    req = invite()
    tx = factory(req, reliable)
    if (tx.state, "start") in table:
        tx.handle("start")
    for event in events:
        status = 200 if "2xx" in event else 486 if "final" in event else 180
        msg = reply(req, status) if event.endswith(("xx", "final")) else req
        before = tx.state
        try:
            actions = tx.handle(event, msg)
        except SipStateError:
            assert (before, event) not in table
            assert tx.state is before
            continue
        assert before is not TxState.TERMINATED
        assert (Terminated() in actions) == (tx.state is TxState.TERMINATED)
