"""The asyncio transports: TCP framing, bad streams, unreachable peers."""

from __future__ import annotations

import asyncio
import socket

import pytest

from ringcast.telephony.sdp import build_sdp
from ringcast.telephony.sip import CallFailed, SipConfigError, TrunkConfig, UserAgent
from ringcast.telephony.sip.transport import (
    TRANSPORTS,
    Address,
    LocalEndpoint,
    TcpLimits,
    TcpTransport,
    UdpTransport,
    open_transport,
)

OPTIONS = (
    b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK{n}\r\n"
    b"From: <sip:a@x>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: t{n}\r\nCSeq: 1 OPTIONS\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_tcp_frames_messages_and_replies_on_the_same_connection() -> None:
    got: list[tuple[bytes, Address]] = []
    server = await TcpTransport.open(lambda data, addr: got.append((data, addr)))
    reader, writer = await asyncio.open_connection("127.0.0.1", server.local_port)
    one, two = OPTIONS.replace(b"{n}", b"1"), OPTIONS.replace(b"{n}", b"2")
    writer.write(b"\r\n\r\n" + one + two[:30])  # keep-alive, one message, half of another
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.write(two[30:])
    await writer.drain()
    await asyncio.sleep(0.05)
    assert [data for data, _ in got] == [one, two]
    server.send(b"reply", got[0][1])  # back over the connection the peer used
    assert await asyncio.wait_for(reader.read(5), 1) == b"reply"
    writer.write(b"garbage without length\r\n\r\n")  # unframeable: the connection is closed
    await writer.drain()
    assert await asyncio.wait_for(reader.read(10), 1) == b""
    writer.close()
    server.close()


async def test_unreachable_tcp_trunk_fails_the_call_at_once() -> None:
    ua = await UserAgent.start(TrunkConfig(host="127.0.0.1", port=closed_port(), transport="tcp"))
    try:
        call = ua.new_call("1000", "me")
        call.start_invite(build_sdp("127.0.0.1", 4000, 1, 1))
        event = await asyncio.wait_for(call.events.get(), 2)  # not timer B's 32 s
        assert event == CallFailed(None, "transport error")
    finally:
        ua.close()


async def test_udp_round_trip() -> None:
    got: list[tuple[bytes, Address]] = []
    a = await UdpTransport.open(lambda data, addr: got.append((data, addr)))
    b = await UdpTransport.open(lambda data, addr: None)
    b.send(b"hello", ("127.0.0.1", a.local_port))
    await asyncio.sleep(0.05)
    assert got == [(b"hello", ("127.0.0.1", b.local_port))]
    a.close()
    b.close()


async def test_open_transport_is_the_one_place_a_transport_is_chosen() -> None:
    def noop(data: bytes, addr: Address) -> None:
        pass

    udp = await open_transport(TrunkConfig(host="127.0.0.1"), noop, lambda _a, _r: None)
    tcp = await open_transport(
        TrunkConfig(host="127.0.0.1", transport="tcp"), noop, lambda _a, _r: None
    )
    try:
        assert isinstance(udp, UdpTransport) and isinstance(tcp, TcpTransport)
        assert LocalEndpoint.of(udp).uri_param is None
        assert LocalEndpoint.of(tcp).uri_param == "tcp"
        assert LocalEndpoint.of(tcp).via() == f"SIP/2.0/TCP 127.0.0.1:{tcp.local_port}"
    finally:
        udp.close()
        tcp.close()
    assert set(TRANSPORTS) == {"udp", "tcp", "tls"}  # TLS: tests/secure/test_tls_transport.py


def test_an_unknown_transport_is_an_error_not_udp() -> None:
    with pytest.raises(SipConfigError, match="unknown SIP transport 'sctp'"):
        TrunkConfig(host="127.0.0.1", transport="sctp")


async def closed_by_server(reader: asyncio.StreamReader, timeout_s: float = 2.0) -> bool:
    try:
        return await asyncio.wait_for(reader.read(100), timeout_s) == b""
    except (TimeoutError, ConnectionResetError):
        return False


async def test_a_content_length_over_the_maximum_closes_the_connection() -> None:
    got: list[bytes] = []
    server = await TcpTransport.open(lambda data, addr: got.append(data))
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.local_port)
        huge = OPTIONS.replace(b"Content-Length: 0", b"Content-Length: 900000")
        writer.write(huge.replace(b"{n}", b"1"))
        assert await closed_by_server(reader)
        writer.close()
    finally:
        server.close()
    assert got == []


async def test_connections_are_capped_per_source_and_idle_ones_closed() -> None:
    limits = TcpLimits(idle_timeout_s=0.3, max_per_source=2)
    server = await TcpTransport.open(lambda data, addr: None, limits=limits)
    try:
        conns = [await asyncio.open_connection("127.0.0.1", server.local_port) for _ in range(3)]
        assert await closed_by_server(conns[2][0], 0.5)  # the third is over the cap
        assert not await closed_by_server(conns[0][0], 0.1)  # the first two stay...
        assert await closed_by_server(conns[0][0], 1.0)  # ...until idle too long
        for _, writer in conns:
            writer.close()
    finally:
        server.close()


async def test_outgoing_tcp_leaves_from_the_configured_local_address() -> None:
    peers: list[Address] = []
    far = await TcpTransport.open(lambda data, addr: peers.append(addr))
    near = await TcpTransport.open(lambda data, addr: None, host="127.0.0.2")
    try:
        near.send(OPTIONS.replace(b"{n}", b"1"), ("127.0.0.1", far.local_port))
        for _ in range(50):
            if peers:
                break
            await asyncio.sleep(0.02)
    finally:
        near.close()
        far.close()
    assert peers and peers[0][0] == "127.0.0.2"  # not 127.0.0.1, whatever the route says


async def test_udp_transport_asks_for_a_large_receive_buffer():
    # a burst of INVITEs waits in the kernel instead of being dropped (issue 19)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as plain:
        default = plain.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    t = await UdpTransport.open(lambda data, addr: None)
    try:
        sock = t._transport.get_extra_info("socket") if t._transport else None
        assert sock is not None
        assert t.rcvbuf_bytes == sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        assert t.rcvbuf_bytes > default
    finally:
        t.close()
