"""Trunk addresses from names, never blocking the event loop, cached by TTL (RFC 3263).

A trunk host that is an IP literal is used as it is. A name is looked up as
`_sip._udp.<name>` / `_sip._tcp.<name>` / `_sips._tcp.<name>` (TLS) SRV first (the lowest priority, then the
highest weight, wins); without SRV records, its A record with the trunk's port.
Lookups go through dnspython's asyncio resolver, answers are kept for their TTL
(a failed SRV lookup for `NEGATIVE_TTL_S`); a name the DNS does not know (an
/etc/hosts entry such as `localhost`) falls back to the loop's `getaddrinfo`, which
runs in a thread. The user agent resolves before each call, so every UDP send goes
to an IP address (a send to a name would resolve synchronously on the loop that
paces every call's RTP).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import dns.asyncresolver
import dns.exception
import dns.rdtypes.IN.SRV

from .transport import Address

log = logging.getLogger("ringcast.telephony.sip")
NEGATIVE_TTL_S = 60
HOSTS_TTL_S = 60

T = TypeVar("T")
Srv = tuple[int, int, int, str]  # priority, weight, port, target
SrvLookup = Callable[[str], Awaitable[tuple[list[Srv], int]]]
ALookup = Callable[[str], Awaitable[tuple[list[str], int]]]


async def _dns_srv(name: str) -> tuple[list[Srv], int]:
    try:
        answer = await dns.asyncresolver.resolve(name, "SRV", lifetime=3.0)
    except dns.exception.DNSException:
        return [], NEGATIVE_TTL_S
    records = [
        (r.priority, r.weight, r.port, r.target.to_text(omit_final_dot=True))
        for r in answer
        if isinstance(r, dns.rdtypes.IN.SRV.SRV)
    ]
    return records, answer.rrset.ttl if answer.rrset is not None else NEGATIVE_TTL_S


async def _dns_a(name: str) -> tuple[list[str], int]:
    try:
        answer = await dns.asyncresolver.resolve(name, "A", lifetime=3.0)
        ttl = answer.rrset.ttl if answer.rrset is not None else HOSTS_TTL_S
        return [r.to_text() for r in answer], ttl
    except dns.exception.DNSException:
        pass
    try:  # not in the DNS: /etc/hosts and the like, in the loop's resolver thread
        infos = await asyncio.get_running_loop().getaddrinfo(
            name, None, family=socket.AF_INET, type=socket.SOCK_DGRAM
        )
    except OSError:
        return [], NEGATIVE_TTL_S
    return [str(info[4][0]) for info in infos], HOSTS_TTL_S


def srv_name(host: str, transport: str) -> str:
    """The SRV name of a trunk (RFC 3263 §4.2): TLS is `_sips._tcp`, not `_sip._tls`."""
    if transport == "tls":
        return f"_sips._tcp.{host}"
    return f"_sip._{transport}.{host}"


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Resolver:
    def __init__(
        self,
        srv: SrvLookup = _dns_srv,
        a: ALookup = _dns_a,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._srv, self._a, self._clock = srv, a, clock
        self._srv_cache: dict[str, tuple[float, list[Srv]]] = {}
        self._a_cache: dict[str, tuple[float, list[str]]] = {}

    async def resolve(self, host: str, port: int, transport: str) -> Address:
        """The (IP, port) to send to; the name itself when nothing resolves it."""
        if is_ip(host):
            return (host, port)
        records: list[Srv] = []
        if "." in host:  # a domain (not `localhost`): RFC 3263 SRV first
            records = await self._cached(self._srv_cache, srv_name(host, transport), self._srv)
        if records:
            _, _, port, host = min(records, key=lambda r: (r[0], -r[1]))
            if is_ip(host):
                return (host, port)
        addresses = await self._cached(self._a_cache, host, self._a)
        if not addresses:
            log.warning("SIP trunk %s does not resolve", host)
            return (host, port)
        return (addresses[0], port)

    async def _cached(
        self,
        cache: dict[str, tuple[float, T]],
        name: str,
        lookup: Callable[[str], Awaitable[tuple[T, int]]],
    ) -> T:
        now = self._clock()
        hit = cache.get(name)
        if hit is not None and hit[0] > now:
            return hit[1]
        value, ttl = await lookup(name)
        cache[name] = (now + max(ttl, 1), value)
        return value
