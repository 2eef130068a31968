"""SIP over TLS at the transport and user-agent level (RFC 3261 §26): verification
against a CA bundle or the system store, SNI and the host-name check, a client
certificate, the TCP limits on TLS connections, nothing in clear on the wire, and a
wrong certificate failing a call with a clear reason."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

import pytest

from ringcast.telephony.sdp import build_sdp
from ringcast.telephony.sip import CallFailed, SipConfigError, TrunkConfig, UserAgent
from ringcast.telephony.sip.transport import (
    DEFAULT_PORTS,
    TRANSPORTS,
    Address,
    LocalEndpoint,
    TcpLimits,
    TlsClient,
    TlsServer,
    TlsTransport,
    open_transport,
)
from secure.tls_kit import CARRIER_NAME, Pki

OPTIONS = (
    b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:1;branch=z9hG4bK{n}\r\n"
    b"From: <sip:a@x>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: t{n}\r\nCSeq: 1 OPTIONS\r\n"
    b"Content-Length: 0\r\n\r\n"
)
Got = list[tuple[bytes, Address]]


def options(n: int) -> bytes:
    return OPTIONS.replace(b"{n}", str(n).encode())


async def carrier(pki: Pki, got: Got, limits: TcpLimits | None = None) -> TlsTransport:
    """A TLS listener with the carrier's certificate (sip.carrier.test, 127.0.0.1)."""
    server = TlsServer(str(pki.carrier_cert), str(pki.carrier_key), port=0)
    return await TlsTransport.open_tls(
        lambda data, addr: got.append((data, addr)), "127.0.0.1", server, limits=limits
    )


async def until(check: Callable[[], bool], timeout_s: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def recorded_relay(port: int, wire: bytearray) -> asyncio.Server:
    """A plain TCP relay to 127.0.0.1:`port` that keeps every byte it carries."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            wire.extend(data)
            writer.write(data)
        writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def test_tls_is_a_transport_of_the_one_factory() -> None:
    assert set(TRANSPORTS) == {"udp", "tcp", "tls"} == set(DEFAULT_PORTS)
    assert DEFAULT_PORTS["tls"] == 5061
    with pytest.raises(SipConfigError, match="unknown SIP transport 'sctp'"):
        TrunkConfig(host="127.0.0.1", transport="sctp")


async def test_tls_round_trip_verified_with_the_trunks_ca_and_nothing_in_clear(
    pki: Pki,
) -> None:
    got: Got = []
    server = await carrier(pki, got)
    wire = bytearray()
    relay = await recorded_relay(server.local_port, wire)
    relay_port = relay.sockets[0].getsockname()[1]
    replies: Got = []
    client = await TlsTransport.open_tls(lambda data, addr: replies.append((data, addr)))
    try:
        trust = TlsClient(ca_pem=pki.ca_pem, server_name=CARRIER_NAME)
        client.send(options(1), ("127.0.0.1", relay_port), trust)
        client.send(options(2), ("127.0.0.1", relay_port), trust)  # queued behind the connect
        await until(lambda: len(got) == 2)
        assert [data for data, _ in got] == [options(1), options(2)]
        assert len(client.connections) == 1  # one connection, reused
        server.send(options(3), got[0][1])  # back on the peer's connection
        await until(lambda: bool(replies))
        assert replies[0][0] == options(3)
        conn = next(iter(client.connections.values()))
        assert conn.transport is not None
        ssl_object = conn.transport.get_extra_info("ssl_object")
        assert ssl_object.server_hostname == CARRIER_NAME  # SNI
        assert ssl_object.version() in ("TLSv1.2", "TLSv1.3")
        assert len(wire) > 1000  # handshakes and records...
        for clear in (b"OPTIONS", b"SIP/2.0", b"Call-ID", b"z9hG4bK"):
            assert clear not in wire  # ...and no SIP in clear
    finally:
        client.close()
        server.close()
        relay.close()


@pytest.mark.parametrize(
    ("trust", "why"),
    [
        (
            TlsClient(server_name=CARRIER_NAME),
            "unable to get local issuer certificate",
        ),  # system store
        ("other", "unable to get local issuer certificate"),  # a CA that did not sign it
        ("wrong-name", "Hostname mismatch"),
    ],
)
async def test_a_wrong_certificate_fails_the_call_with_a_clear_reason(
    pki: Pki, trust: TlsClient | str, why: str
) -> None:
    got: Got = []
    server = await carrier(pki, got)
    if trust == "other":
        trust = TlsClient(ca_pem=pki.other_ca_pem, server_name=CARRIER_NAME)
    elif trust == "wrong-name":
        trust = TlsClient(ca_pem=pki.ca_pem, server_name="evil.example")
    assert isinstance(trust, TlsClient)
    config = TrunkConfig(host="127.0.0.1", port=server.local_port, transport="tls", tls=trust)
    ua = await UserAgent.start(config)
    try:
        call = ua.new_call("1000", "me")
        call.start_invite(build_sdp("127.0.0.1", 4000, 1, 1))
        event = await asyncio.wait_for(call.events.get(), 5)  # at once, not at timer B
        assert isinstance(event, CallFailed) and event.status is None, event
        assert event.reason.startswith("tls_certificate: "), event
        assert why in event.reason, event
    finally:
        ua.close()
        server.close()
    assert got == []  # the INVITE never left in clear, nor at all


async def test_a_tls_trunk_writes_tls_in_via_contact_and_the_request_uri(pki: Pki) -> None:
    got: Got = []
    server = await carrier(pki, got)
    trust = TlsClient(ca_pem=pki.ca_pem, server_name=CARRIER_NAME)
    config = TrunkConfig(host="127.0.0.1", port=server.local_port, transport="tls", tls=trust)
    ua = await UserAgent.start(config)
    try:
        local = LocalEndpoint.of(ua._tp)
        assert (local.name, local.uri_param, local.reliable) == ("TLS", "tls", True)
        call = ua.new_call("1000", "me")
        call.start_invite(build_sdp("127.0.0.1", 4000, 1, 1))
        await until(lambda: bool(got))
        invite = got[0][0].decode()
        assert invite.startswith(f"INVITE sip:1000@127.0.0.1:{server.local_port};transport=tls ")
        assert "\r\nVia: SIP/2.0/TLS 127.0.0.1:" in invite
        assert ";transport=tls>" in invite  # Contact
    finally:
        ua.close()
        server.close()


async def test_a_client_certificate_is_presented_when_the_trunk_has_one(pki: Pki) -> None:
    seen: list[dict] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pki.carrier_cert), str(pki.carrier_key))
    context.verify_mode = ssl.CERT_REQUIRED  # a carrier that wants our certificate
    context.load_verify_locations(cadata=pki.ca_pem)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(writer.get_extra_info("peercert"))
        await reader.read(100)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    client = await TlsTransport.open_tls(lambda data, addr: None)
    try:
        trust = TlsClient(
            ca_pem=pki.ca_pem,
            server_name=CARRIER_NAME,
            cert_pem=pki.client_cert_pem,
            key_pem=pki.client_key_pem,
        )
        assert pki.client_key_pem not in repr(trust)  # never in a log line
        client.send(options(1), ("127.0.0.1", port), trust)
        await until(lambda: bool(seen))
        assert seen[0]["subjectAltName"] == (("DNS", "ringcast-client.test"),), seen
    finally:
        client.close()
        server.close()


async def test_the_tcp_limits_apply_to_tls_connections(pki: Pki) -> None:
    got: Got = []
    limits = TcpLimits(idle_timeout_s=0.3, max_per_source=1)
    server = await carrier(pki, got, limits)
    context = ssl.create_default_context(cadata=pki.ca_pem)

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(
            "127.0.0.1", server.local_port, ssl=context, server_hostname=CARRIER_NAME
        )

    async def closed(reader: asyncio.StreamReader, timeout_s: float) -> bool:
        try:
            return await asyncio.wait_for(reader.read(100), timeout_s) == b""
        except TimeoutError:
            return False
        except (ConnectionResetError, ssl.SSLError):
            return True

    try:
        first, second = await connect(), await connect()
        assert await closed(second[0], 1.0)  # over the per-source cap
        assert not await closed(first[0], 0.1)
        assert await closed(first[0], 1.5)  # idle too long
        third = await connect()  # room again: a Content-Length over the maximum closes it
        third[1].write(options(1).replace(b"Content-Length: 0", b"Content-Length: 900000"))
        assert await closed(third[0], 2.0)
        for _, writer in (first, second, third):
            writer.close()
    finally:
        server.close()
    assert got == []


async def test_open_transport_gives_a_tls_trunk_its_client_settings(pki: Pki) -> None:
    trust = TlsClient(ca_pem=pki.ca_pem, server_name=CARRIER_NAME)
    tls = await open_transport(
        TrunkConfig(host="127.0.0.1", transport="tls", tls=trust), lambda d, a: None, noop_error
    )
    try:
        assert isinstance(tls, TlsTransport) and tls.default_client == trust
        assert LocalEndpoint.of(tls).via() == "SIP/2.0/TLS 127.0.0.1:5061"
    finally:
        tls.close()


def noop_error(addr: Address, reason: str) -> None:
    pass


async def test_a_bad_listener_certificate_is_an_error_at_start(tmp_path) -> None:
    missing = TlsServer(str(tmp_path / "none.crt"), str(tmp_path / "none.key"), port=0)
    with pytest.raises(SipConfigError, match="SIP TLS certificate/key"):
        await TlsTransport.open_tls(lambda d, a: None, "127.0.0.1", missing)


async def test_a_connection_is_never_lent_to_a_trunk_with_other_tls_settings(pki: Pki) -> None:
    """Two trunks to one address: one trusting the carrier's CA, one trusting another
    CA. The second must verify on its own connection (and fail), not ride the first's."""
    got: Got = []
    server = await carrier(pki, got)
    errors: list[tuple[Address, str]] = []
    client = await TlsTransport.open_tls(
        lambda data, addr: None, on_error=lambda addr, why: errors.append((addr, why))
    )
    addr = ("127.0.0.1", server.local_port)
    try:
        good = TlsClient(ca_pem=pki.ca_pem, server_name=CARRIER_NAME)
        client.send(options(1), addr, good)
        await until(lambda: len(got) == 1)
        client.send(options(2), addr, TlsClient(ca_pem=pki.other_ca_pem, server_name=CARRIER_NAME))
        await until(lambda: bool(errors))
        assert errors[0][1].startswith("tls_certificate: "), errors
        client.send(options(3), addr, good)  # the verified connection is still reused
        await until(lambda: len(got) == 2)
        assert [data for data, _ in got] == [options(1), options(3)]
        assert len(server.connections) == 1
    finally:
        client.close()
        server.close()
