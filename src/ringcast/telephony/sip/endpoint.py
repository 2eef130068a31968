"""The process's fixed SIP address: UDP, TCP and TLS listeners shared by every trunk.

Theory of operation: `SipEndpoint.open` binds a listener for every transport of
`transport.TRANSPORTS`: UDP and TCP on the same host and port (5060 by default in
the settings; port 0 picks a free one, the same for both), TLS on its own port (5061)
when a certificate and key are configured (`EndpointConfig.tls`); without them the
TLS transport only dials out (outbound TLS trunks work; the carrier must send its
requests back on our connection). Each
trunk gets its own `UserAgent` (its config, registration and calls) on a *view* of the
listener of its transport: the view writes the advertised address (NAT: a public
address instead of the bound one) in Via and Contact, and closing an agent leaves the
listener open. Every message is parsed once here and routed: to the agent whose
transaction or call it belongs to; a new request (INVITE, OPTIONS...) to the agent of
the trunk it comes from, by source address (trunk host names are resolved when the
trunk is added). A new request from an address that is no trunk's is dropped by
default: nothing answers a scanner, and a 403 to a spoofed INVITE would be
retransmitted 10 times (a 15x amplifier). `unknown_source="reject"` restores the
answers: 403 to an INVITE, 200 to an OPTIONS. Each source dropped is logged once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import socket
from dataclasses import dataclass
from typing import Literal

from ringcast.kit.logs import ThrottledWarning

from ..overload import OverloadGuard
from .call import ALLOW
from .config import TrunkConfig
from .errors import SipError
from .headers import new_tag
from .inbound_auth import DigestGate
from .message import SipRequest, SipResponse, parse_message, response_to
from .transport import (
    TRANSPORTS,
    Address,
    TlsClient,
    TlsServer,
    TlsTransport,
    Transport,
    open_named,
)
from .ua import UserAgent

log = logging.getLogger("ringcast.telephony.sip")


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    host: str = "127.0.0.1"  # the address the listeners bind
    port: int = 5060  # UDP and TCP; 0 = a free port (the same for both)
    advertised_host: str | None = None  # written in Via/Contact instead of `host` (NAT)
    advertised_port: int | None = None
    unknown_source: Literal["drop", "reject"] = "drop"  # a new request from no trunk
    tls: TlsServer | None = None  # the TLS listener (None: TLS dials out only)

    @property
    def tls_port(self) -> int:
        return self.tls.port if self.tls is not None else 5061


class _View:
    """A listener as one agent sees it: the advertised address, a no-op close; on TLS,
    the connections it opens verify the peer as its trunk's `TlsClient` says."""

    def __init__(
        self, inner: Transport, host: str, port: int, client: TlsClient | None = None
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.reliable = inner.reliable
        self.local_host = host
        self.local_port = port
        self.client = client

    def send(self, data: bytes, addr: Address) -> None:
        if isinstance(self.inner, TlsTransport):
            self.inner.send(data, addr, self.client)
        else:
            self.inner.send(data, addr)

    def close(self) -> None:
        """The endpoint owns the listener."""


class SipEndpoint:
    def __init__(self, config: EndpointConfig, overload: OverloadGuard | None = None) -> None:
        self.config = config
        self.overload = overload  # handed to every agent: 503 to new INVITEs while full
        self.listeners: dict[str, Transport] = {}  # transport name → its listener
        self.agents: dict[str, UserAgent] = {}
        self.outbound_only: set[str] = set()  # agents that take no new request (add)
        self.dropped = 0  # unparseable, stray or from unknown sources
        self._dropped_log = ThrottledWarning(log)
        self.digest = DigestGate()  # trunks known by their credentials (inbound_digest)
        self._unknown_seen: set[str] = set()  # sources whose drop was logged

    @classmethod
    async def open(
        cls, config: EndpointConfig, overload: OverloadGuard | None = None
    ) -> SipEndpoint:
        self = cls(config, overload)
        for attempt in range(5):
            try:
                await self._open_listeners()
                break
            except OSError:
                self._close_listeners()
                if config.port or attempt == 4:
                    raise  # a fixed port taken, or no luck with free ones
            except BaseException:  # e.g. the TLS certificate: nothing stays open
                self._close_listeners()
                raise
        return self

    async def _open_listeners(self) -> None:
        port = self.config.port
        for name in TRANSPORTS:  # the first one's port (a free one for 0) is UDP's and TCP's
            received = functools.partial(self._received, transport=name)
            on_error = functools.partial(self._transport_error, name)
            if name == "tls":  # its own port, and a listener only with a certificate
                listener: Transport = await TlsTransport.open_tls(
                    received, self.config.host, self.config.tls, on_error
                )
            else:
                listener = await open_named(name, received, self.config.host, port, on_error)
                port = listener.local_port
            self.listeners[name] = listener

    def _close_listeners(self) -> None:
        for listener in self.listeners.values():
            listener.close()
        self.listeners.clear()

    @property
    def _first(self) -> Transport:
        if not self.listeners:
            raise SipError("SIP endpoint not open")
        return next(iter(self.listeners.values()))

    @property
    def tls_port(self) -> int | None:
        """The TLS listener's port; None when TLS only dials out."""
        listener = self.listeners.get("tls")
        return listener.local_port if self.config.tls is not None and listener else None

    @property
    def local_port(self) -> int:
        return self._first.local_port

    @property
    def advertised(self) -> tuple[str, int]:
        cfg = self.config
        return (
            cfg.advertised_host or self._first.local_host,
            cfg.advertised_port or self.local_port,
        )

    def _view(self, transport: str, client: TlsClient | None = None) -> _View:
        inner = self.listeners.get(transport)
        if inner is None:
            raise SipError(f"SIP endpoint has no {transport!r} listener")
        host, port = self.advertised
        if transport == "tls":  # its own port (behind NAT: forwarded as the same number)
            port = inner.local_port
        return _View(inner, host, port, client)

    # ---- trunks -------------------------------------------------------------------
    async def add(self, key: str, config: TrunkConfig, *, inbound: bool = True) -> UserAgent:
        """Start the agent of a trunk (its registration too); replaces one under `key`.
        `inbound=False`: an agent that only dials out (a Forward node's `sip:` target):
        answers and in-dialog requests reach it, no new request is routed to it."""
        self.remove(key)
        if inbound:
            peers = set(config.allowed_peers) | await _resolve(config.host)
            config = dataclasses.replace(config, allowed_peers=frozenset(peers))
        else:
            self.outbound_only.add(key)
        ua = await UserAgent.start(config, self._view(config.transport, config.tls_client))
        ua.overload = self.overload
        self.agents[key] = ua
        return ua

    def remove(self, key: str) -> None:
        self.outbound_only.discard(key)
        ua = self.agents.pop(key, None)
        if ua is not None:
            ua.close()

    def close(self) -> None:
        for key in list(self.agents):
            self.remove(key)
        self._close_listeners()

    # ---- routing ------------------------------------------------------------------
    def _transport_error(self, transport: str, addr: Address, reason: str) -> None:
        for ua in list(self.agents.values()):
            if ua.config.transport == transport:
                ua.transport_error(addr, reason)

    def _received(self, data: bytes, addr: Address, transport: str) -> None:
        if not data.strip(b"\r\n\x00 "):
            return  # keep-alive
        try:
            message = parse_message(data)
        except SipError as exc:
            self.dropped += 1
            self._dropped_log.warning("dropped SIP message from %s:%s: %s", addr[0], addr[1], exc)
            return
        ua = self._owner(message, addr, transport)
        if ua is None and isinstance(message, SipRequest) and message.method == "INVITE":
            ua = self._by_digest(message, addr, transport)
            if ua is None:
                return  # challenged, or answered by _unrouted
        if ua is None:
            self._unrouted(message, addr, transport)
            return
        try:
            ua.handle(message, addr)
        except SipError as exc:
            ua.dropped_messages += 1
            self._dropped_log.warning("dropped SIP message from %s:%s: %s", addr[0], addr[1], exc)
        except Exception:  # a bug in one call's handling must not stop the listener
            ua.internal_errors += 1
            log.exception("error handling SIP message from %s:%s", addr[0], addr[1])

    def _owner(
        self, message: SipRequest | SipResponse, addr: Address, transport: str
    ) -> UserAgent | None:
        agents = list(self.agents.values())
        for ua in agents:
            if ua.claims(message):
                return ua
        if isinstance(message, SipResponse) or message.method == "ACK":
            return None
        same = [
            ua
            for key, ua in self.agents.items()
            if key not in self.outbound_only and ua.config.peer_allowed(addr[0])
        ]
        return next((ua for ua in same if ua.config.transport == transport), None) or next(
            iter(same), None
        )

    def _by_digest(self, invite: SipRequest, addr: Address, transport: str) -> UserAgent | None:
        """An INVITE from no trunk's address: a trunk set with `inbound_digest` may have
        sent it (telephony/sip/inbound_auth.py): its agent, once the credentials prove
        it; a 407 challenge until then. None when no such trunk (`_unrouted` answers)."""
        candidates: list[tuple[str, str, object]] = []
        for ua in self.agents.values():
            cfg = ua.config
            if cfg.inbound_digest and cfg.username and cfg.password is not None:
                candidates.append((cfg.username, cfg.password, ua))
        if not candidates:
            self._unrouted(invite, addr, transport)
            return None
        verdict, owner = self.digest.check(invite, candidates)
        if verdict == "ok" and isinstance(owner, UserAgent):
            owner.trusted_invites.add(invite.call_id)
            return owner
        if verdict == "wrong":
            log.warning("INVITE from %s:%s: digest credentials refused", addr[0], addr[1])
        challenge = self.digest.challenge(stale=verdict == "stale")
        reply = response_to(
            invite, 407, "Proxy Authentication Required", new_tag(), extra=(challenge,)
        )
        self._view(transport).send(reply.to_bytes(), addr)
        return None

    def _unrouted(self, message: SipRequest | SipResponse, addr: Address, transport: str) -> None:
        if isinstance(message, SipResponse) or message.method == "ACK":
            self.dropped += 1
            log.debug("stray %s from %s:%s dropped", _what(message), addr[0], addr[1])
            return
        reject = self.config.unknown_source == "reject"
        if reject and message.method == "OPTIONS":
            reply = response_to(message, 200, "OK", new_tag(), extra=(("Allow", ALLOW),))
        elif reject and message.method == "INVITE":
            log.warning("INVITE from %s:%s refused (no trunk there)", addr[0], addr[1])
            reply = response_to(message, 403, "Forbidden", new_tag())
        else:  # silently: a scanner learns nothing, a spoofed source gets nothing
            self.dropped += 1
            if addr[0] not in self._unknown_seen and len(self._unknown_seen) < 1000:
                self._unknown_seen.add(addr[0])
                log.warning("%s from %s:%s dropped (no trunk there; logged once per source)",
                            message.method, *addr)  # fmt: skip
            return
        self._view(transport).send(reply.to_bytes(), addr)


def _what(message: SipRequest | SipResponse) -> str:
    return str(message.status) if isinstance(message, SipResponse) else message.method


async def _resolve(host: str) -> set[str]:
    """The trunk's addresses (its INVITEs come from one of them); {host} if unresolvable."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except OSError:
        return {host}
    return {str(info[4][0]) for info in infos} | {host}
