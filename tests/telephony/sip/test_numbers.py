"""Per-trunk number formats, P-Asserted-Identity, Privacy and the From user in the INVITE."""

from __future__ import annotations

import pytest

from ringcast.telephony.sip import TrunkConfig, UserAgent
from ringcast.telephony.sip.headers import NameAddr
from ringcast.telephony.sip.numbers import format_number


@pytest.mark.parametrize(
    ("fmt", "prefix", "want"),
    [("e164", "", "+33612345678"), ("e164_no_plus", "", "33612345678"),
     ("national", "", "0612345678"), ("national", "9901#", "9901#0612345678"),
     ("e164_no_plus", "77", "7733612345678")],
)  # fmt: skip
def test_formats(fmt, prefix, want):
    assert format_number("+33612345678", fmt, prefix) == want


def test_what_is_no_e164_number_is_left_alone():
    assert format_number("sip:bob@example.net", "national", "99") == "sip:bob@example.net"
    assert format_number("3010", "e164_no_plus") == "3010"
    assert format_number("+12125550123", "national") == "2125550123"


async def test_the_invite_carries_the_trunks_formats():
    cfg = TrunkConfig(
        host="127.0.0.1", port=5060, from_domain="carrier.example", number_format="national",
        tech_prefix="9901#", asserted_identity=True, privacy=True, from_user="acct-42",
    )  # fmt: skip
    ua = await UserAgent.start(cfg)
    try:
        invite = ua.new_call("+33612345678", "+33987654320").invite
        assert invite is not None
        assert invite.uri.startswith("sip:9901%230612345678@127.0.0.1")
        assert NameAddr.parse(invite.headers.get("From") or "").uri.startswith(
            "sip:acct-42@carrier.example"
        )
        assert invite.headers.get("P-Asserted-Identity") == "<sip:0987654320@carrier.example>"
        assert invite.headers.get("Privacy") == "id"
    finally:
        ua.close()
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1"))
    try:
        plain = ua.new_call("+33612345678", "+33987654320").invite
        assert plain is not None and plain.uri.startswith("sip:+33612345678@")
        assert plain.headers.get("P-Asserted-Identity") is None
        assert plain.headers.get("Privacy") is None
    finally:
        ua.close()
