"""Dialogs: identity, route set, CSeq rules, target refresh, lifecycle table."""

from __future__ import annotations

import pytest

from ringcast.telephony.sip import SipParseError, SipRequest, SipStateError, parse_message
from ringcast.telephony.sip.dialog import Dialog, DialogState
from ringcast.telephony.sip.headers import NameAddr
from ringcast.telephony.sip.message import response_to

INVITE = (
    b"INVITE sip:1000@trunk SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKx\r\n"
    b"From: <sip:me@here>;tag=ours\r\nTo: <sip:1000@trunk>\r\nCall-ID: d1\r\nCSeq: 4 INVITE\r\n"
    b"Contact: <sip:me@127.0.0.1:5062>\r\nRecord-Route: <sip:p1;lr>, <sip:p2;lr>\r\n\r\n"
)


def invite() -> SipRequest:
    msg = parse_message(INVITE)
    assert isinstance(msg, SipRequest)
    return msg


def uac_dialog() -> Dialog:
    req = invite()
    # response_to mirrors the request's Record-Route (p1, p2) as a UAS does (§12.1.1)
    ok = response_to(req, 200, "OK", to_tag="theirs",
                     extra=(("Contact", "<sip:far@10.0.0.9:5080>"),))  # fmt: skip
    return Dialog.from_uac(req, ok)


def test_uac_dialog_state_and_in_dialog_request() -> None:
    d = uac_dialog()
    assert d.key == ("d1", "ours", "theirs")
    assert d.remote_target == "sip:far@10.0.0.9:5080"
    assert d.route_set == ["<sip:p2;lr>", "<sip:p1;lr>"]  # reversed for the UAC
    bye = d.create_request("BYE", "SIP/2.0/UDP 127.0.0.1:5062", "<sip:me@127.0.0.1>")
    assert bye.uri == "sip:far@10.0.0.9:5080"
    assert bye.cseq == (5, "BYE")
    assert bye.headers.get_all("Route") == ["<sip:p2;lr>", "<sip:p1;lr>"]
    assert NameAddr.parse(bye.headers.get("From") or "").tag == "ours"
    assert NameAddr.parse(bye.headers.get("To") or "").tag == "theirs"
    ack = d.create_request("ACK", "SIP/2.0/UDP 127.0.0.1:5062", "<sip:me@127.0.0.1>", 4)
    assert ack.cseq == (4, "ACK") and d.local_cseq == 5  # ACK does not advance our CSeq


def test_uas_dialog_cseq_order_and_target_refresh() -> None:
    req = invite()
    d = Dialog.from_uas(req, "mine")
    assert d.key == ("d1", "mine", "ours")
    assert d.route_set == ["<sip:p1;lr>", "<sip:p2;lr>"]  # as received for the UAS
    assert d.remote_target == "sip:me@127.0.0.1:5062"
    later = invite()
    later.headers.set("CSeq", "5 INVITE")
    later.headers.set("Contact", "<sip:me@127.0.0.1:6000>")
    assert d.accept_remote_request(later)
    assert d.remote_target == "sip:me@127.0.0.1:6000"
    assert not d.accept_remote_request(later)  # same CSeq again: out of order


def test_dialog_needs_tags() -> None:
    req = invite()
    with pytest.raises(SipParseError):
        Dialog.from_uac(req, response_to(req, 200, "OK"))  # no To tag


def test_lifecycle_table() -> None:
    req = invite()
    early = Dialog.from_uac(req, response_to(req, 180, "Ringing", to_tag="t"))
    assert early.state is DialogState.EARLY
    early.update_from_response(response_to(req, 200, "OK", to_tag="t"))
    assert early.state.value == "confirmed"
    early.transition("terminate")
    with pytest.raises(SipStateError):
        early.transition("confirm")
