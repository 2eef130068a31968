"""Keeps webhook deliveries off this host's own networks (the SSRF guard).

A webhook URL is chosen by an API user and POSTed to from inside our network:
unguarded, `http://169.254.169.254/…` (cloud metadata) or `http://10.0.0.5/`
would make ringcast a proxy into places that user cannot reach. Two checks,
both off when RINGCAST_WEBHOOK_ALLOW_PRIVATE_NETWORKS is true:

- at create/update, `url_refusal` refuses a host that is an IP literal outside
  the public internet (loopback, private, link-local, multicast, reserved,
  unspecified, shared, site-local; IPv4-mapped and 6to4 IPv6 judged by their IPv4), or
  `localhost` (and `*.localhost`);
- at delivery, the worker's HTTP client connects through `GuardedBackend`: it
  resolves the host itself, refuses (`BlockedAddressError`) when any address is
  not public — a DNS name can point at 127.0.0.1 — and connects to the address
  it checked, so the name is never resolved a second time (no DNS-rebinding
  window between check and connect). TLS still sends SNI for, and verifies the
  certificate against, the URL's name; the Host header is the URL's.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses to try, in order
Resolver = Callable[[str, int], Awaitable[list[str]]]

_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT, not public


class BlockedAddressError(Exception):
    """A delivery's host resolved to an address webhooks may not reach."""


def address_kind(address: IPAddress) -> str | None:
    """Why `address` is off limits ("loopback", "private", ...), or None if public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return address_kind(embedded)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("site-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("shared (carrier-grade NAT)", address in _SHARED),
    )
    for kind, hit in checks:
        if hit:
            return kind
    return None if address.is_global else "non-public"


def ip_literal(host: str) -> IPAddress | None:
    """`host` as an address if it is one, in any form the resolver would take as
    one (`127.1`, `2130706433`, `0x7f.0.0.1` all mean 127.0.0.1 to inet_aton)."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def url_refusal(url: str) -> str | None:
    """Why a webhook may not point at `url`, or None when its host may be public."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return f"Webhook URLs must reach a public address: {host} is this host"
    literal = ip_literal(host)
    if literal is not None and (kind := address_kind(literal)) is not None:
        return f"Webhook URLs must reach a public address: {literal} is a {kind} address"
    return None


async def system_resolve(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver, de-duplicated, order kept."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving and checking before it connects."""

    def __init__(
        self,
        allow_private_networks: bool = False,
        resolve: Resolver = system_resolve,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allow_private_networks = allow_private_networks
        self.resolve = resolve
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self.resolve(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}: no address")
        if not self.allow_private_networks:
            for address in addresses:
                kind = address_kind(ipaddress.ip_address(address.split("%", 1)[0]))
                if kind is not None:
                    raise BlockedAddressError(
                        f"refused: {host} resolves to {address}, a {kind} address "
                        "(webhooks may only reach public addresses)"
                    )
        failure: httpcore.ConnectError | None = None
        for address in addresses:  # the checked addresses themselves: no second lookup
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are delivered over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a `GuardedBackend`; no proxies (they would resolve
    the name themselves, past the guard)."""

    def __init__(self, backend: GuardedBackend) -> None:
        super().__init__(trust_env=False)
        # httpx takes no network backend: swap the pool it built for one that
        # uses ours (same defaults as httpx's). tests/webhooks/test_netguard.py
        # fails if a new httpx stops sending requests through it.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=backend,
        )
