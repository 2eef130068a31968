"""Requests from addresses that are no trunk's are dropped silently by default (a 403
to a spoofed INVITE is retransmitted 10 times: a 15x amplifier, and any answer tells
a scanner we are here); `unknown_source="reject"` restores 403 / 200. The endpoint's
TLS listener advertises its own port and TLS in Via and Contact."""

from __future__ import annotations

import asyncio
import random
import socket

import pytest

from ringcast.settings import Settings
from ringcast.telephony.sip import TrunkConfig
from ringcast.telephony.sip.endpoint import EndpointConfig, SipEndpoint
from ringcast.telephony.sip.transport import TlsServer
from secure.tls_kit import Pki

TRUNK = "127.0.0.44"  # the trunk's address; requests from 127.0.0.45 come from no trunk
STRANGER = "127.0.0.45"


def request(method: str, source: str, port: int) -> bytes:
    me = random.getrandbits(16)
    return (
        f"{method} sip:+33100000000@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {source}:{port};branch=z9hG4bK{random.getrandbits(40):x}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:+33600000000@{source}>;tag={me}\r\nTo: <sip:+33100000000@127.0.0.1>\r\n"
        f"Call-ID: scan-{random.getrandbits(48):x}\r\nCSeq: 1 {method}\r\n"
        f"Contact: <sip:scan@{source}:{port}>\r\nContent-Length: 0\r\n\r\n"
    ).encode()


async def answers(endpoint: SipEndpoint, method: str, source: str) -> list[str]:
    """The status lines `source` gets back for one `method` over UDP within 0.7 s."""
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.setblocking(False)
        s.sendto(request(method, source, s.getsockname()[1]), ("127.0.0.1", endpoint.local_port))
        got: list[str] = []
        deadline = loop.time() + 0.7
        while loop.time() < deadline:
            try:
                got.append(s.recv(4096).split(b"\r\n", 1)[0].decode())
            except BlockingIOError:
                await asyncio.sleep(0.02)
        return got


@pytest.fixture
async def endpoint(request: pytest.FixtureRequest):
    ep = await SipEndpoint.open(EndpointConfig(port=0, unknown_source=request.param))
    await ep.add("t1", TrunkConfig(host=TRUNK, port=5060))
    yield ep
    ep.close()


def test_dropping_is_the_default() -> None:
    assert Settings().sip_unknown_source == "drop"
    assert EndpointConfig().unknown_source == "drop"


@pytest.mark.parametrize("endpoint", ["drop"], indirect=True)
async def test_requests_from_no_trunk_get_no_answer_at_all(endpoint: SipEndpoint) -> None:
    for method in ("INVITE", "OPTIONS", "REGISTER", "MESSAGE", "SUBSCRIBE"):
        assert await answers(endpoint, method, STRANGER) == [], method
    assert endpoint.dropped == 5
    # the trunk itself is answered
    assert await answers(endpoint, "OPTIONS", TRUNK) == ["SIP/2.0 200 OK"]


@pytest.mark.parametrize("endpoint", ["reject"], indirect=True)
async def test_the_setting_restores_the_403(endpoint: SipEndpoint) -> None:
    assert (await answers(endpoint, "INVITE", STRANGER))[:1] == ["SIP/2.0 403 Forbidden"]
    assert await answers(endpoint, "OPTIONS", STRANGER) == ["SIP/2.0 200 OK"]


async def test_the_tls_listener_is_on_its_own_port_and_says_tls(pki: Pki) -> None:
    tls = TlsServer(str(pki.ringcast_cert), str(pki.ringcast_key), port=0)
    ep = await SipEndpoint.open(EndpointConfig(port=0, tls=tls))
    try:
        ua = await ep.add("t1", TrunkConfig(host=TRUNK, port=5061, transport="tls"))
        udp = await ep.add("t2", TrunkConfig(host=TRUNK, port=5060))
        assert ep.tls_port is not None and ep.tls_port != ep.local_port
        assert ua.via() == f"SIP/2.0/TLS 127.0.0.1:{ep.tls_port}"
        assert ua.contact() == f"<sip:ringcast@127.0.0.1:{ep.tls_port};transport=tls>"
        assert udp.via() == f"SIP/2.0/UDP 127.0.0.1:{ep.local_port}"
    finally:
        ep.close()
    outbound_only = await SipEndpoint.open(EndpointConfig(port=0))
    try:
        assert outbound_only.tls_port is None and "tls" in outbound_only.listeners
    finally:
        outbound_only.close()
