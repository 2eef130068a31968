"""Trunk addresses from names, never blocking the event loop, cached by TTL (RFC 3263).

A trunk host that is an IP literal is used as it is. A domain name is looked up
as RFC 3263 §4 says: its NAPTR records first (`naptr_transport` picks the transport
they prefer among ours: the lowest order, then preference, of `SIP+D2U` (udp),
`SIP+D2T` (tcp), `SIPS+D2T` (tls)); the trunk's transport's NAPTR record with flag
`s` names the SRV name to ask, else `_sip._udp.<name>` / `_sip._tcp.<name>` /
`_sips._tcp.<name>` (TLS). SRV (the lowest priority, then the highest weight, wins)
gives the target and port; without SRV records, the name's A record with the trunk's
port.
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
from functools import lru_cache, partial
from typing import TypeVar

import dns.asyncresolver
import dns.exception
import dns.rdtypes.IN.NAPTR
import dns.rdtypes.IN.SRV

from .transport import Address

log = logging.getLogger("ringcast.telephony.sip")
NEGATIVE_TTL_S = 60
HOSTS_TTL_S = 60

T = TypeVar("T")
Srv = tuple[int, int, int, str]  # priority, weight, port, target
Naptr = tuple[int, int, str, str, str]  # order, preference, flags, service, replacement
SrvLookup = Callable[[str], Awaitable[tuple[list[Srv], int]]]
ALookup = Callable[[str], Awaitable[tuple[list[str], int]]]
NaptrLookup = Callable[[str], Awaitable[tuple[list[Naptr], int]]]
SERVICES = {"udp": "SIP+D2U", "tcp": "SIP+D2T", "tls": "SIPS+D2T"}  # RFC 3263 §4.1
DnsClient = dns.asyncresolver.Resolver | None  # None: the system's resolver


async def _dns_naptr(name: str, client: DnsClient = None) -> tuple[list[Naptr], int]:
    try:
        answer = await (client or dns.asyncresolver).resolve(name, "NAPTR", lifetime=3.0)
    except dns.exception.DNSException:
        return [], NEGATIVE_TTL_S
    records = [
        (
            r.order,
            r.preference,
            r.flags.decode().lower(),
            r.service.decode().upper(),
            r.replacement.to_text(omit_final_dot=True),
        )
        for r in answer
        if isinstance(r, dns.rdtypes.IN.NAPTR.NAPTR)
    ]
    return records, answer.rrset.ttl if answer.rrset is not None else NEGATIVE_TTL_S


async def _dns_srv(name: str, client: DnsClient = None) -> tuple[list[Srv], int]:
    try:
        answer = await (client or dns.asyncresolver).resolve(name, "SRV", lifetime=3.0)
    except dns.exception.DNSException:
        return [], NEGATIVE_TTL_S
    records = [
        (r.priority, r.weight, r.port, r.target.to_text(omit_final_dot=True))
        for r in answer
        if isinstance(r, dns.rdtypes.IN.SRV.SRV)
    ]
    return records, answer.rrset.ttl if answer.rrset is not None else NEGATIVE_TTL_S


async def _dns_a(name: str, client: DnsClient = None) -> tuple[list[str], int]:
    try:
        answer = await (client or dns.asyncresolver).resolve(name, "A", lifetime=3.0)
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


@lru_cache(maxsize=1024)
def is_ip(host: str) -> bool:
    """Whether `host` is an IP address literal (cached: every call's INVITE asks it of
    its trunk's host, and `ipaddress` parsing cost ~1.5 % of the dialer at 300 CPS)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _no_naptr(name: str) -> tuple[list[Naptr], int]:
    return [], NEGATIVE_TTL_S


class Resolver:
    def __init__(
        self,
        srv: SrvLookup = _dns_srv,
        a: ALookup = _dns_a,
        clock: Callable[[], float] = time.monotonic,
        naptr: NaptrLookup = _dns_naptr,
    ) -> None:
        self._srv, self._a, self._clock, self._naptr = srv, a, clock, naptr
        self._srv_cache: dict[str, tuple[float, list[Srv]]] = {}
        self._a_cache: dict[str, tuple[float, list[str]]] = {}
        self._naptr_cache: dict[str, tuple[float, list[Naptr]]] = {}

    @classmethod
    def using(cls, nameserver: str, port: int = 53) -> Resolver:
        """Asking one DNS server (tests; a deployment uses the system's resolver)."""
        client = dns.asyncresolver.Resolver(configure=False)
        client.nameservers = [nameserver]
        client.port = port
        return cls(
            partial(_dns_srv, client=client),
            partial(_dns_a, client=client),
            naptr=partial(_dns_naptr, client=client),
        )

    async def _naptr_records(self, host: str) -> list[Naptr]:
        records = await self._cached(self._naptr_cache, host, self._naptr)
        return sorted((r for r in records if r[3] in SERVICES.values()), key=lambda r: r[:2])

    async def naptr_transport(self, host: str, supported: tuple[str, ...]) -> str | None:
        """The transport the domain's NAPTR records prefer among `supported` (RFC 3263
        §4.1); None without such records (or for an IP or a bare host name)."""
        if is_ip(host) or "." not in host:
            return None
        wanted = {SERVICES[t]: t for t in supported if t in SERVICES}
        for record in await self._naptr_records(host):
            if record[3] in wanted:
                return wanted[record[3]]
        return None

    async def resolve(self, host: str, port: int, transport: str, srv: bool = True) -> Address:
        """The (IP, port) to send to; the name itself when nothing resolves it. `srv`
        False: the port was given (a `sip:` URI with one: RFC 3263 §4.2), so the name's
        A record with that port, no NAPTR or SRV."""
        if is_ip(host):
            return (host, port)
        records: list[Srv] = []
        if srv and "." in host:  # a domain (not `localhost`): RFC 3263 NAPTR, then SRV
            name = srv_name(host, transport)
            service = SERVICES.get(transport)
            for _, _, flags, svc, replacement in await self._naptr_records(host):
                if svc == service and flags == "s" and replacement not in ("", "."):
                    name = replacement
                    break
            records = await self._cached(self._srv_cache, name, self._srv)
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
