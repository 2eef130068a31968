"""asyncio transports for SIP: they move bytes and nothing else.

`UdpTransport` is one datagram socket for every call of the process. `TcpTransport`
listens and also dials out; messages are cut from each stream by `StreamFramer` and
replies go back on the connection the peer is known by. Both hand every message to
one `Receiver(data, (host, port))` callback, which is the user agent's parser; a bad
stream (unframeable bytes, a Content-Length over the maximum message size) closes that
one connection, never the transport. TCP limits (`TcpLimits`): a connection idle for
`idle_timeout_s` is closed, and accepted connections are capped per source address
and in total (the one over the cap is closed at once). Outgoing connections leave
from the listener's host, so a carrier that allow-lists our address accepts them.

`TlsTransport` is `TcpTransport` with Python's `ssl` on each connection (RFC 3261
§26): the same framing, limits and connection reuse. It listens only when it has a
certificate and key (`TlsServer`); outgoing connections verify the peer as the
`TlsClient` of the trunk they are made for says (its CA bundle or the system's CA
store, SNI and the host-name check against its server name, our client certificate
if it has one). A failed handshake fails what waits on that peer with a reason
(`tls_certificate: <why>`, `tls_handshake: <why>`), never silently.

The transport is chosen in one place: `open_transport(config)` looks the configured
name up in `TRANSPORTS` (name → opener); an unknown name is a `SipConfigError`, never
a silent fall back to UDP. `LocalEndpoint` is what the rest of the stack needs to know
of the open transport (Via, Contact, the URI `transport=` parameter, reliability).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import ssl
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, cast

from .errors import SipConfigError, SipParseError
from .message import StreamFramer

log = logging.getLogger("ringcast.telephony.sip")

Address = tuple[str, int]
Receiver = Callable[[bytes, Address], None]
DialKey = tuple[Address, "TlsClient | None"]
ErrorHandler = Callable[[Address, str], None]  # the peer, why (a call's outcomeReason)
TRANSPORT_ERROR = "transport error"  # a peer we cannot reach (refused, reset, unroutable)


class Transport(Protocol):
    name: str  # "UDP", "TCP" or "TLS", as written in Via
    reliable: bool
    local_host: str
    local_port: int

    def send(self, data: bytes, addr: Address) -> None: ...

    def close(self) -> None: ...


# A burst of INVITEs must wait in the kernel, not be dropped (the default ~208 kB holds
# a few hundred; the far end's retransmissions then storm): issue 19.
UDP_RCVBUF_BYTES = 4 * 1024 * 1024


class UdpTransport(asyncio.DatagramProtocol):
    name = "UDP"
    reliable = False

    def __init__(self, receiver: Receiver) -> None:
        self._receiver = receiver
        self._transport: asyncio.DatagramTransport | None = None
        self.local_host = ""
        self.local_port = 0
        self.rcvbuf_bytes = 0  # the receive buffer the kernel gave (it reports 2x)

    @classmethod
    async def open(
        cls,
        receiver: Receiver,
        host: str = "127.0.0.1",
        port: int = 0,
        rcvbuf_bytes: int = UDP_RCVBUF_BYTES,
    ) -> UdpTransport:
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_datagram_endpoint(
            lambda: cls(receiver), local_addr=(host, port)
        )
        proto._grow_rcvbuf(rcvbuf_bytes)
        return proto

    def _grow_rcvbuf(self, size: int) -> None:
        sock = self._transport.get_extra_info("socket") if self._transport else None
        if sock is None or size <= 0:
            return
        # SO_RCVBUFFORCE passes net.core.rmem_max when we may (CAP_NET_ADMIN)
        for option in (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF):
            if option is None:
                continue
            try:
                sock.setsockopt(socket.SOL_SOCKET, option, size)
                break
            except OSError:
                continue
        self.rcvbuf_bytes = int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
        if self.rcvbuf_bytes < size:
            log.warning(
                "SIP UDP receive buffer is %d bytes, not %d: raise net.core.rmem_max",
                self.rcvbuf_bytes, size,
            )  # fmt: skip

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)
        self.local_host, self.local_port = transport.get_extra_info("sockname")[:2]

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self._receiver(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable etc.: the transaction timers handle the silence.
        log.debug("udp error: %s", exc)

    def send(self, data: bytes, addr: Address) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(data, addr)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


@dataclass(frozen=True, slots=True)
class TcpLimits:
    idle_timeout_s: float = 600.0
    max_connections: int = 1000  # accepted, in total
    max_per_source: int = 50  # accepted, from one IP address


class _TcpConnection(asyncio.Protocol):
    def __init__(self, owner: TcpTransport, accepted: bool = False) -> None:
        self._owner = owner
        self.accepted = accepted
        self._framer = StreamFramer()
        self.transport: asyncio.Transport | None = None
        self.peer: Address = ("", 0)
        self._last_active = 0.0
        self._idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        host, port = transport.get_extra_info("peername")[:2]
        self.peer = (str(host), int(port))
        if self.accepted and not self._owner.admit(self.peer[0]):
            log.warning("TCP connection from %s refused: connection cap reached", self.peer)
            self.transport.close()
            return
        self._owner.connections[self.peer] = self
        self._touch()
        self._arm_idle(self._owner.limits.idle_timeout_s)

    def _touch(self) -> None:
        self._last_active = asyncio.get_running_loop().time()

    def _arm_idle(self, delay_s: float) -> None:
        self._idle = asyncio.get_running_loop().call_later(delay_s, self._check_idle)

    def _check_idle(self) -> None:
        timeout_s = self._owner.limits.idle_timeout_s
        idle_s = asyncio.get_running_loop().time() - self._last_active
        if idle_s < timeout_s:
            self._arm_idle(timeout_s - idle_s)
        elif self.transport is not None:
            log.info("closing idle TCP connection %s", self.peer)
            self.transport.close()

    def write(self, data: bytes) -> None:
        if self.transport is not None:
            self._touch()
            self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        self._touch()
        try:
            messages = self._framer.feed(data)
        except SipParseError as exc:
            log.warning("closing TCP connection from %s: %s", self.peer, exc)
            if self.transport is not None:
                self.transport.close()
            return
        for message in messages:
            self._owner.receiver(message, self.peer)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._idle is not None:
            self._idle.cancel()
        if self._owner.connections.get(self.peer) is self:
            del self._owner.connections[self.peer]
        self._owner.forget(self)


class TcpTransport:
    name = "TCP"
    reliable = True

    def __init__(
        self,
        receiver: Receiver,
        on_error: ErrorHandler | None = None,
        limits: TcpLimits | None = None,
    ) -> None:
        self.receiver = receiver
        self.on_error = on_error
        self.limits = limits or TcpLimits()
        self.connections: dict[Address, _TcpConnection] = {}
        # the connections we dialled, by address and the TLS settings they were verified with
        self._dialled: dict[DialKey, _TcpConnection] = {}
        self._pending: dict[DialKey, list[bytes]] = {}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.local_host = ""
        self.local_port = 0

    @classmethod
    async def open(
        cls,
        receiver: Receiver,
        host: str = "127.0.0.1",
        port: int = 0,
        on_error: ErrorHandler | None = None,
        limits: TcpLimits | None = None,
    ) -> TcpTransport:
        self = cls(receiver, on_error, limits)
        await self._listen(host, port, None)
        return self

    async def _listen(self, host: str, port: int, context: ssl.SSLContext | None) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _TcpConnection(self, accepted=True),
            host,
            port,
            ssl=context,
            ssl_handshake_timeout=HANDSHAKE_TIMEOUT_S if context is not None else None,
        )
        self.local_host, self.local_port = self._server.sockets[0].getsockname()[:2]

    def admit(self, host: str) -> bool:
        """Room for one more accepted connection from `host`?"""
        limits = self.limits
        if len(self.connections) >= limits.max_connections:
            return False
        return sum(1 for h, _ in self.connections if h == host) < limits.max_per_source

    def send(self, data: bytes, addr: Address) -> None:
        self._send(data, addr, None)

    def _send(self, data: bytes, addr: Address, client: TlsClient | None) -> None:
        conn = self._reusable(addr, client)
        if conn is not None:
            conn.write(data)  # connection reuse: the peer's own, or one we made
            return
        key = (addr, client)
        if key in self._pending:  # a connect is under way; queue behind it
            self._pending[key].append(data)
            return
        self._pending[key] = [data]
        task = asyncio.get_running_loop().create_task(self._connect(addr, client))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _reusable(self, addr: Address, client: TlsClient | None) -> _TcpConnection | None:
        """An open connection to `addr`, whoever opened it."""
        conn = self.connections.get(addr)
        return conn if conn is not None and conn.transport is not None else None

    def forget(self, conn: _TcpConnection) -> None:
        for key in [k for k, c in self._dialled.items() if c is conn]:
            del self._dialled[key]

    async def _dial(self, addr: Address, client: TlsClient | None) -> _TcpConnection:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(
            lambda: _TcpConnection(self), *addr, local_addr=(self.local_host, 0)
        )
        return conn

    async def _connect(self, addr: Address, client: TlsClient | None) -> None:
        try:
            conn = await self._dial(addr, client)
        except (OSError, TimeoutError, ValueError) as exc:  # ssl.SSLError is an OSError
            reason = failure_reason(exc)
            log.warning("%s connect to %s failed: %s", self.name, addr, reason)
            self._pending.pop((addr, client), None)
            if self.on_error is not None:
                self.on_error(addr, reason)
            return
        # key the connection by the address we dialled, which is what callers use
        self.connections[addr] = conn
        self._dialled[addr, client] = conn
        for data in self._pending.pop((addr, client), []):
            conn.write(data)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections.values()):
            if conn.transport is not None:
                conn.transport.close()
        for task in self._tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            self.connections.clear()


HANDSHAKE_TIMEOUT_S = 10.0


def failure_reason(exc: BaseException) -> str:
    """Why a connection could not be made, as a call's outcomeReason says it."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"tls_certificate: {exc.verify_message or exc.reason or exc}"[:200]
    if isinstance(exc, ssl.SSLError):
        return f"tls_handshake: {exc.reason or exc}"[:200]
    if isinstance(exc, TimeoutError | ConnectionAbortedError) and "handshake" in str(exc).lower():
        return "tls_handshake: timed out"
    return TRANSPORT_ERROR


@dataclass(frozen=True, slots=True)
class TlsClient:
    """How we dial a TLS peer (a trunk's TLS settings).

    `ca_pem`: the CA certificates (PEM text) the peer's chain must lead to; None:
    the system's CA store. `server_name`: the name sent as SNI and checked against
    the peer's certificate (its SAN); None: the address we dial (an IP is checked
    against IP SANs, with no SNI). `cert_pem` + `key_pem`: our client certificate
    chain and its private key (PEM), for carriers that ask for one; the key never
    appears in a repr or a log."""

    ca_pem: str | None = None
    server_name: str | None = None
    cert_pem: str | None = None
    key_pem: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class TlsServer:
    """The TLS listener: its certificate chain and key (files), and its port."""

    cert_file: str
    key_file: str
    port: int = 5061


@functools.lru_cache(maxsize=64)
def client_context(client: TlsClient) -> ssl.SSLContext:
    """A verifying client context (TLS 1.2+, CERT_REQUIRED, host-name check)."""
    context = (
        ssl.create_default_context(cadata=client.ca_pem)
        if client.ca_pem
        else (ssl.create_default_context())
    )
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if client.cert_pem:
        _load_chain(context, client.cert_pem, client.key_pem)
    return context


def _load_chain(context: ssl.SSLContext, cert_pem: str, key_pem: str | None) -> None:
    """`ssl` loads a key only from a file: a 0600 file in a 0700 directory, gone at once."""
    with tempfile.TemporaryDirectory(prefix="ringcast-tls-") as tmp:
        path = os.path.join(tmp, "chain.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write((key_pem or "").strip() + "\n" + cert_pem.strip() + "\n")
        context.load_cert_chain(path)


def server_context(server: TlsServer) -> ssl.SSLContext:
    """The listener's context: our certificate; clients are not asked for one."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(server.cert_file, server.key_file)
    except (OSError, ssl.SSLError) as exc:
        raise SipConfigError(f"SIP TLS certificate/key: {exc}") from exc
    return context


class TlsTransport(TcpTransport):
    """SIP over TLS: `TcpTransport`'s connections, framing and limits, with `ssl`.

    `send(data, addr, client)` dials `addr` as `client` says when no connection to
    it is open (`default_client` when none is given); replies go back on the
    connection a request came in on, whoever opened it."""

    name = "TLS"

    def __init__(
        self,
        receiver: Receiver,
        on_error: ErrorHandler | None = None,
        limits: TcpLimits | None = None,
        default_client: TlsClient | None = None,
    ) -> None:
        super().__init__(receiver, on_error, limits)
        self.default_client = default_client or TlsClient()

    @classmethod
    async def open_tls(
        cls,
        receiver: Receiver,
        host: str = "127.0.0.1",
        server: TlsServer | None = None,
        on_error: ErrorHandler | None = None,
        limits: TcpLimits | None = None,
        default_client: TlsClient | None = None,
    ) -> TlsTransport:
        """A listener on `server.port` with its certificate; with no `server`, one that
        only dials out (its advertised port is then 5061, where nothing listens)."""
        self = cls(receiver, on_error, limits, default_client)
        if server is not None:
            await self._listen(host, server.port, server_context(server))
        else:
            self.local_host, self.local_port = host, 5061
        return self

    def send(self, data: bytes, addr: Address, client: TlsClient | None = None) -> None:
        self._send(data, addr, client or self.default_client)

    def _reusable(self, addr: Address, client: TlsClient | None) -> _TcpConnection | None:
        """A connection we dialled to `addr` verified as `client` says, or one `addr`
        opened to us (replies go back on it). Never one dialled for other TLS settings:
        a trunk trusting a looser CA must not lend its connection to a stricter one."""
        conn = self._dialled.get((addr, client))
        if conn is None or conn.transport is None or conn.transport.is_closing():
            conn = self.connections.get(addr)
            if conn is None or not conn.accepted:
                return None
        return conn if conn.transport is not None else None

    async def _dial(self, addr: Address, client: TlsClient | None) -> _TcpConnection:
        client = client or self.default_client
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(
            lambda: _TcpConnection(self),
            *addr,
            local_addr=(self.local_host, 0),
            ssl=client_context(client),
            server_hostname=client.server_name or addr[0],
            ssl_handshake_timeout=HANDSHAKE_TIMEOUT_S,
        )
        return conn


class TransportConfig(Protocol):
    """What `open_transport` reads of a configuration (`TrunkConfig` fits)."""

    @property
    def transport(self) -> str: ...
    @property
    def local_host(self) -> str: ...
    @property
    def local_port(self) -> int: ...
    @property
    def tls_client(self) -> TlsClient: ...


async def _open_udp(receiver: Receiver, host: str, port: int, _on_error: ErrorHandler) -> Transport:
    return await UdpTransport.open(receiver, host, port)


async def _open_tcp(receiver: Receiver, host: str, port: int, on_error: ErrorHandler) -> Transport:
    return await TcpTransport.open(receiver, host, port, on_error)


async def _open_tls(receiver: Receiver, host: str, _port: int, on_error: ErrorHandler) -> Transport:
    """A dial-out TLS transport (the listener needs a certificate: `TlsTransport.open_tls`)."""
    return await TlsTransport.open_tls(receiver, host, None, on_error)


Opener = Callable[[Receiver, str, int, ErrorHandler], Awaitable[Transport]]
TRANSPORTS: dict[str, Opener] = {"udp": _open_udp, "tcp": _open_tcp, "tls": _open_tls}
DEFAULT_PORTS: dict[str, int] = {"udp": 5060, "tcp": 5060, "tls": 5061}  # RFC 3261 §19.1.2


def check_transport(name: str) -> str:
    """`name` if a transport of that name exists; `SipConfigError` otherwise."""
    if name not in TRANSPORTS:
        known = ", ".join(sorted(TRANSPORTS))
        raise SipConfigError(f"unknown SIP transport {name!r} (known: {known})")
    return name


async def open_transport(
    config: TransportConfig, receiver: Receiver, on_error: ErrorHandler
) -> Transport:
    """Open the transport `config.transport` names on its local address (a TLS one
    dials as `config.tls_client` says)."""
    transport = await open_named(
        config.transport, receiver, config.local_host, config.local_port, on_error
    )
    if isinstance(transport, TlsTransport):
        transport.default_client = config.tls_client
    return transport


async def open_named(
    name: str, receiver: Receiver, host: str, port: int, on_error: ErrorHandler
) -> Transport:
    """Open transport `name` (a key of `TRANSPORTS`) on host:port (0: a free port)."""
    return await TRANSPORTS[check_transport(name)](receiver, host, port, on_error)


@dataclass(frozen=True, slots=True)
class LocalEndpoint:
    """Our side of an open transport, as written into messages."""

    host: str
    port: int
    name: str  # as in Via: "UDP", "TCP", "TLS"
    reliable: bool

    @classmethod
    def of(cls, transport: Transport) -> LocalEndpoint:
        return cls(transport.local_host, transport.local_port, transport.name, transport.reliable)

    @property
    def uri_param(self) -> str | None:
        """The Request-URI `transport=` value; UDP is the default and goes unsaid."""
        return None if self.name == "UDP" else self.name.lower()

    def via(self) -> str:
        return f"SIP/2.0/{self.name} {self.host}:{self.port}"

    def contact(self, user: str = "ringcast") -> str:
        return f"<sip:{user}@{self.host}:{self.port};transport={self.name.lower()}>"
