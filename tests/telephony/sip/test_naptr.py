"""RFC 3263 against a real DNS server: dnslib's, serving a zone on 127.0.0.74 (UDP) —
NAPTR → SRV → A for a trunk given by name, the transport the NAPTR records prefer."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from dnslib.server import DNSServer
from dnslib.zoneresolver import ZoneResolver

from ringcast.telephony.sip.resolver import Resolver

HOST = "127.0.0.74"
ZONE = """
carrier.test.              60 IN NAPTR 10 50 "s" "SIPS+D2T" "" _sips._tcp.carrier.test.
carrier.test.              60 IN NAPTR 20 50 "s" "SIP+D2T" "" _sip._tcp.edge.carrier.test.
carrier.test.              60 IN NAPTR 30 50 "s" "SIP+D2U" "" _sip._udp.edge.carrier.test.
_sip._tcp.edge.carrier.test. 60 IN SRV 10 10 5070 tcp1.carrier.test.
_sip._udp.edge.carrier.test. 60 IN SRV 20 10 5080 udp2.carrier.test.
_sip._udp.edge.carrier.test. 60 IN SRV 10 10 5090 udp1.carrier.test.
_sip._udp.carrier.test.    60 IN SRV 10 10 5999 wrong.carrier.test.
tcp1.carrier.test.         60 IN A 192.0.2.10
udp1.carrier.test.         60 IN A 192.0.2.21
udp2.carrier.test.         60 IN A 192.0.2.22
wrong.carrier.test.        60 IN A 192.0.2.99
plain.test.                60 IN A 192.0.2.30
"""


@pytest.fixture
def nameserver() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        port = int(s.getsockname()[1])
    server = DNSServer(ZoneResolver(ZONE), port=port, address=HOST)
    server.start_thread()
    try:
        yield port
    finally:
        server.stop()


async def test_naptr_then_srv_then_a_from_a_real_dns_server(nameserver: int) -> None:
    resolver = Resolver.using(HOST, nameserver)
    # the NAPTR's replacement is the SRV name asked, not _sip._udp.carrier.test
    assert await resolver.resolve("carrier.test", 5060, "udp") == ("192.0.2.21", 5090)
    assert await resolver.resolve("carrier.test", 5060, "tcp") == ("192.0.2.10", 5070)
    # the transport by the NAPTR order: TLS first when we speak it, else TCP
    assert await resolver.naptr_transport("carrier.test", ("udp", "tcp", "tls")) == "tls"
    assert await resolver.naptr_transport("carrier.test", ("udp", "tcp")) == "tcp"
    assert await resolver.naptr_transport("carrier.test", ("udp",)) == "udp"
    # no NAPTR, no SRV: the A record and the trunk's port
    assert await resolver.resolve("plain.test", 5062, "udp") == ("192.0.2.30", 5062)
    assert await resolver.naptr_transport("plain.test", ("udp", "tcp")) is None
