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

The transport is chosen in one place: `open_transport(config)` looks the configured
name up in `TRANSPORTS` (name → opener). Adding one (TLS) is a class with the
`Transport` shape and a row there; an unknown name is a `SipConfigError`, never a
silent fall back to UDP. `LocalEndpoint` is what the rest of the stack needs to know
of the open transport (Via, Contact, the URI `transport=` parameter, reliability).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, cast

from .errors import SipConfigError, SipParseError
from .message import StreamFramer

log = logging.getLogger("ringcast.telephony.sip")

Address = tuple[str, int]
Receiver = Callable[[bytes, Address], None]
ErrorHandler = Callable[[Address], None]


class Transport(Protocol):
    name: str  # "UDP" or "TCP", as written in Via
    reliable: bool
    local_host: str
    local_port: int

    def send(self, data: bytes, addr: Address) -> None: ...

    def close(self) -> None: ...


class UdpTransport(asyncio.DatagramProtocol):
    name = "UDP"
    reliable = False

    def __init__(self, receiver: Receiver) -> None:
        self._receiver = receiver
        self._transport: asyncio.DatagramTransport | None = None
        self.local_host = ""
        self.local_port = 0

    @classmethod
    async def open(cls, receiver: Receiver, host: str = "127.0.0.1", port: int = 0) -> UdpTransport:
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_datagram_endpoint(
            lambda: cls(receiver), local_addr=(host, port)
        )
        return proto

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
        self._accepted = accepted
        self._framer = StreamFramer()
        self.transport: asyncio.Transport | None = None
        self.peer: Address = ("", 0)
        self._last_active = 0.0
        self._idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        host, port = transport.get_extra_info("peername")[:2]
        self.peer = (str(host), int(port))
        if self._accepted and not self._owner.admit(self.peer[0]):
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


class TcpTransport:
    name = "TCP"
    reliable = True

    def __init__(
        self,
        receiver: Receiver,
        on_error: Callable[[Address], None] | None = None,
        limits: TcpLimits | None = None,
    ) -> None:
        self.receiver = receiver
        self.on_error = on_error
        self.limits = limits or TcpLimits()
        self.connections: dict[Address, _TcpConnection] = {}
        self._pending: dict[Address, list[bytes]] = {}
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
        on_error: Callable[[Address], None] | None = None,
        limits: TcpLimits | None = None,
    ) -> TcpTransport:
        self = cls(receiver, on_error, limits)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _TcpConnection(self, accepted=True), host, port
        )
        self.local_host, self.local_port = self._server.sockets[0].getsockname()[:2]
        return self

    def admit(self, host: str) -> bool:
        """Room for one more accepted connection from `host`?"""
        limits = self.limits
        if len(self.connections) >= limits.max_connections:
            return False
        return sum(1 for h, _ in self.connections if h == host) < limits.max_per_source

    def send(self, data: bytes, addr: Address) -> None:
        conn = self.connections.get(addr)
        if conn is not None and conn.transport is not None:
            conn.write(data)
            return
        if addr in self._pending:  # a connect is under way; queue behind it
            self._pending[addr].append(data)
            return
        self._pending[addr] = [data]
        task = asyncio.get_running_loop().create_task(self._connect(addr))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect(self, addr: Address) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(
                lambda: _TcpConnection(self), *addr, local_addr=(self.local_host, 0)
            )
        except OSError as exc:
            log.warning("TCP connect to %s failed: %s", addr, exc)
            self._pending.pop(addr, None)
            if self.on_error is not None:
                self.on_error(addr)
            return
        # key the connection by the address we dialled, which is what callers use
        self.connections[addr] = conn
        for data in self._pending.pop(addr, []):
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


class TransportConfig(Protocol):
    """What `open_transport` reads of a configuration (`TrunkConfig` fits)."""

    @property
    def transport(self) -> str: ...
    @property
    def local_host(self) -> str: ...
    @property
    def local_port(self) -> int: ...


async def _open_udp(receiver: Receiver, host: str, port: int, _on_error: ErrorHandler) -> Transport:
    return await UdpTransport.open(receiver, host, port)


async def _open_tcp(receiver: Receiver, host: str, port: int, on_error: ErrorHandler) -> Transport:
    return await TcpTransport.open(receiver, host, port, on_error)


Opener = Callable[[Receiver, str, int, ErrorHandler], Awaitable[Transport]]
TRANSPORTS: dict[str, Opener] = {"udp": _open_udp, "tcp": _open_tcp}


def check_transport(name: str) -> str:
    """`name` if a transport of that name exists; `SipConfigError` otherwise."""
    if name not in TRANSPORTS:
        known = ", ".join(sorted(TRANSPORTS))
        raise SipConfigError(f"unknown SIP transport {name!r} (known: {known})")
    return name


async def open_transport(
    config: TransportConfig, receiver: Receiver, on_error: ErrorHandler
) -> Transport:
    """Open the transport `config.transport` names on its local address."""
    return await open_named(
        config.transport, receiver, config.local_host, config.local_port, on_error
    )


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
    name: str  # as in Via: "UDP", "TCP"
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
