"""SIP message parser/serializer: examples, round trips, and fuzzing."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringcast.telephony.sip import SipParseError, SipRequest, SipResponse, parse_message
from ringcast.telephony.sip.headers import NameAddr, SipUri, Via
from ringcast.telephony.sip.message import StreamFramer, response_to

INVITE = (
    b"INVITE sip:1000@127.0.0.1:5070 SIP/2.0\r\n"
    b"v: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKaaa;rport,\r\n"
    b" SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKbbb\r\n"
    b"Via: SIP/2.0/TCP [::1]:5062;branch=z9hG4bKccc\r\n"
    b'f: "Alice, A." <sip:alice@example.com>;tag=123\r\n'
    b"t: <sip:1000@example.com>\r\n"
    b"i: abc@host\r\n"
    b"CSeq: 7 INVITE\r\n"
    b"Subject: a folded\r\n"
    b"\tsubject line\r\n"
    b"m: <sip:alice@127.0.0.1:5060>, <sip:alice@127.0.0.2>\r\n"
    b"c: application/sdp\r\n"
    b"l: 4\r\n"
    b"\r\n"
    b"v=0\r\nEXTRA"
)


def test_parses_compact_folded_and_multiple_via() -> None:
    msg = parse_message(INVITE)
    assert isinstance(msg, SipRequest)
    assert (msg.method, msg.uri) == ("INVITE", "sip:1000@127.0.0.1:5070")
    vias = msg.headers.get_all("Via")
    assert [Via.parse(v).branch for v in vias] == ["z9hG4bKaaa", "z9hG4bKbbb", "z9hG4bKccc"]
    assert Via.parse(vias[2]).host == "[::1]" and Via.parse(vias[2]).port == 5062
    assert msg.headers.get("Subject") == "a folded subject line"
    assert NameAddr.parse(msg.headers.get("From") or "").display == "Alice, A."
    assert NameAddr.parse(msg.headers.get("From") or "").tag == "123"
    assert len(msg.headers.get_all("Contact")) == 2
    assert msg.call_id == "abc@host"
    assert msg.cseq == (7, "INVITE")
    assert msg.body == b"v=0\r"  # Content-Length wins; extra datagram bytes are dropped


def test_header_names_match_in_any_case_and_form() -> None:
    msg = parse_message(
        INVITE.replace(b"Subject: a folded", b"X-Campaign-Id: 42\r\nsubject: a folded")
    )
    headers = msg.headers
    # known names: any case and the compact form find the canonical entry
    assert headers.get("call-id") == headers.get("I") == headers.get("Call-ID") == "abc@host"
    assert len(headers.get_all("CONTACT")) == len(headers.get_all("m")) == 2
    assert headers.get("SUBJECT") == "a folded subject line"
    # a name this stack does not know keeps its spelling and still matches in any case
    assert headers.get("x-campaign-id") == headers.get("X-CAMPAIGN-ID") == "42"
    assert ("X-Campaign-Id", "42") in headers.items
    assert headers.get_all("x-CAMPAIGN-id") == ["42"]
    headers.set("x-campaign-id", "43")
    assert headers.get("X-Campaign-Id") == "43" and headers.get("Record-Route") is None
    with pytest.raises(SipParseError):  # a header name must be a token
        parse_message(INVITE.replace(b"Subject:", b"Sub ject:"))


def test_round_trip_is_stable() -> None:
    msg = parse_message(INVITE)
    again = parse_message(msg.to_bytes())
    assert again.to_bytes() == msg.to_bytes()
    assert again.headers.items == msg.headers.items


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"INVITE sip:a SIP/2.0\r\n\r\n",  # no required headers
        INVITE.replace(b"l: 4", b"l: 400"),  # body shorter than Content-Length
        INVITE.replace(b"l: 4", b"l: -1"),
        INVITE.replace(b"CSeq: 7 INVITE", b"CSeq: 7 BYE"),  # method mismatch
        INVITE.replace(b"CSeq: 7 INVITE", b"CSeq: x INVITE"),
        INVITE.replace(b"SIP/2.0\r\nv:", b"SIP/3.0\r\nv:"),
        INVITE.replace(b"\r\n\r\n", b"\r\n"),  # no end of headers
        b"SIP/2.0 99 Odd\r\n" + INVITE.split(b"\r\n", 1)[1],
        b"SIP/2.0 200\xff OK\r\n" + INVITE.split(b"\r\n", 1)[1],
        b" folded-first: x\r\n\r\n",
        INVITE.replace(b"t: <sip", b"t\x00: <sip"),
    ],
)
def test_malformed_input_raises_parse_error(data: bytes) -> None:
    with pytest.raises(SipParseError):
        parse_message(data)


def test_response_and_response_to() -> None:
    req = parse_message(INVITE)
    assert isinstance(req, SipRequest)
    resp = response_to(req, 180, "Ringing", to_tag="xyz")
    parsed = parse_message(resp.to_bytes())
    assert isinstance(parsed, SipResponse)
    assert (parsed.status, parsed.reason) == (180, "Ringing")
    assert parsed.headers.get_all("Via") == req.headers.get_all("Via")
    assert NameAddr.parse(parsed.headers.get("To") or "").tag == "xyz"


def test_stream_framer_cuts_messages_and_requires_length() -> None:
    framer = StreamFramer()
    data = b"\r\n" + INVITE[: INVITE.index(b"EXTRA")] + INVITE[: INVITE.index(b"EXTRA")]
    assert framer.feed(data[:50]) == []
    out = framer.feed(data[50:])
    assert len(out) == 2
    assert parse_message(out[1]).cseq == (7, "INVITE")
    with pytest.raises(SipParseError):
        StreamFramer().feed(b"OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n")


def test_uri_parsing() -> None:
    uri = SipUri.parse("sip:+331@host.example:5080;transport=tcp;lr")
    assert (uri.user, uri.host, uri.port) == ("+331", "host.example", 5080)
    assert uri.params == {"transport": "tcp", "lr": None}
    assert str(uri) == "sip:+331@host.example:5080;transport=tcp;lr"
    with pytest.raises(SipParseError):
        SipUri.parse("http://x")
    with pytest.raises(SipParseError):
        SipUri.parse("sip:a@host:99999")


HEADER_VALUES = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_fuzz_random_bytes_only_raise_parse_error(data: bytes) -> None:
    with contextlib.suppress(SipParseError):
        parse_message(data)


@settings(max_examples=400, deadline=None)
@given(
    st.integers(0, len(INVITE) - 1),
    st.integers(0, 40),
    st.binary(max_size=20),
)
def test_fuzz_mutated_invite_only_raises_parse_error(
    position: int, cut: int, insert: bytes
) -> None:
    data = INVITE[:position] + insert + INVITE[position + cut :]
    try:
        msg = parse_message(data)
    except SipParseError:
        return
    # Whatever parses must survive a round trip and the header helpers.
    parse_message(msg.to_bytes())
    for via in msg.headers.get_all("Via"):
        with contextlib.suppress(SipParseError):
            Via.parse(via)


@settings(max_examples=300, deadline=None)
@given(HEADER_VALUES)
def test_fuzz_header_helpers(value: str) -> None:
    for parse in (Via.parse, NameAddr.parse, SipUri.parse):
        with contextlib.suppress(SipParseError):
            parse(value)
