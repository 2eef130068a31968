"""Digest authentication against the RFC test vectors."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringcast.telephony.sip import SipAuthError, SipParseError
from ringcast.telephony.sip.auth import (
    Challenge,
    authorization,
    digest_response,
    parse_auth_params,
    parse_challenge,
    verify_authorization,
)


def test_rfc2617_md5_qop_auth_vector() -> None:
    ch = Challenge("testrealm@host.com", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "MD5", ("auth",))
    got = digest_response(
        ch, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", "00000001", "0a4f113b"
    )
    assert got == "6629fae49393a05397450978507c4ef1"


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_vectors(algorithm: str, expected: str) -> None:
    ch = Challenge(
        "http-auth@example.org",
        "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        algorithm,
        ("auth",),
    )
    cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
    got = digest_response(
        ch, "Mufasa", "Circle of Life", "GET", "/dir/index.html", "00000001", cnonce
    )
    assert got == expected


def test_challenge_parse_and_header_round_trip() -> None:
    ch = parse_challenge(
        'Digest realm="trunk.test", nonce="n1", algorithm=SHA-256, qop="auth,auth-int", opaque="o, x"',
        True,
    )
    assert ch == Challenge("trunk.test", "n1", "SHA-256", ("auth", "auth-int"), "o, x", True)
    assert ch.response_header == "Proxy-Authorization"
    value = authorization(ch, "alice", "secret", "INVITE", "sip:1@h")
    params = parse_auth_params(value.split(" ", 1)[1])
    assert params["qop"] == "auth" and params["nc"] == "00000001" and params["opaque"] == "o, x"
    assert verify_authorization(value, "secret", "INVITE")
    assert not verify_authorization(value, "secret", "BYE")


def test_without_qop_uses_rfc2069_form() -> None:
    ch = parse_challenge('Digest realm="r", nonce="n"', False)
    value = authorization(ch, "alice", "secret", "INVITE", "sip:1@h")
    assert "qop" not in value and "cnonce" not in value
    assert verify_authorization(value, "secret", "INVITE")


@pytest.mark.parametrize(
    "header",
    ['Basic realm="r"', 'Digest realm="r"', 'Digest realm="r", nonce="n", algorithm=SHA-512-256'],
)
def test_unanswerable_challenges(header: str) -> None:
    with pytest.raises(SipAuthError):
        authorization(parse_challenge(header, False), "u", "p", "INVITE", "sip:x")


@given(st.text(max_size=80))
def test_fuzz_auth_params(text: str) -> None:
    with contextlib.suppress(SipParseError):
        parse_auth_params(text)
