"""A Forward node's `sip:` / `sips:` targets: parsed, and who may be reached.

A target `sip:user@host[:port][;transport=udp|tcp|tls]` is dialled straight to
that host (not through the callee's trunk): the port defaults to 5060 (5061 for
TLS) and, without a port, a domain is resolved as for a trunk (RFC 3263 NAPTR,
SRV, A: `resolver.Resolver`); with a port, only its A record (RFC 3263 §4.2:
`TrunkConfig.srv_lookup` False); `sips:` always means TLS.

Who may be reached (ARCHITECTURE.md "Forward"): a SIP URI reaches a host only
when the organization already trusts it: the host or `fromDomain` of one of its
own trunks (its PBX, its carrier), or a name on the deployment's allow-list
(`RINGCAST_FORWARD_SIP_HOSTS`, set by whoever runs the platform; `*.example.com`
matches any name under example.com). Anything else is refused: a flow naming it
is not saved (400, `forward_host_not_allowed`), and at run time (a target from a
`{{variable}}`) the leg fails with that reason and nothing is sent. A tenant
can therefore reach no host it could not already reach with its trunks: the
dialer is no open relay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

NOT_ALLOWED = "forward_host_not_allowed"
_URI = re.compile(
    r"^(?P<scheme>sips?):(?P<user>[^\s@<>;:]+)@(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-]+)"
    r"(?::(?P<port>\d{1,5}))?(?P<params>(?:;[^\s<>;]*)*)$"
)


@dataclass(frozen=True, slots=True)
class SipTarget:
    uri: str  # as written (the Request-URI and To)
    user: str
    host: str  # lower case
    port: int | None  # None: not written (5060/5061, or SRV for a domain)
    transport: str  # udp | tcp | tls

    @property
    def default_port(self) -> int:
        return 5061 if self.transport == "tls" else 5060


def parse_target(uri: str) -> SipTarget | None:
    """The URI's parts; None for anything that is not a `sip:`/`sips:` URI we can dial."""
    match = _URI.match(uri.strip())
    if match is None:
        return None
    params = {k.lower(): v for k, _, v in (p.partition("=") for p in match["params"].split(";"))}
    transport = params.get("transport", "").lower()
    if match["scheme"] == "sips":
        if transport not in ("", "tcp", "tls"):
            return None
        transport = "tls"
    elif transport not in ("", "udp", "tcp", "tls"):
        return None
    port = int(match["port"]) if match["port"] else None
    if port is not None and not 0 < port < 65536:
        return None
    return SipTarget(uri.strip(), match["user"], match["host"].lower(), port, transport or "udp")


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """`host` equals one of `allowed`, or is under a `*.domain` entry (case-insensitive)."""
    host = host.lower().rstrip(".")
    for entry in allowed:
        entry = entry.strip().lower().rstrip(".")
        if not entry:
            continue
        if entry.startswith("*."):
            if host.endswith(entry[1:]):
                return True
        elif host == entry:
            return True
    return False


def forward_hosts(trunks: Iterable[tuple[str, str | None]], settings: Any) -> tuple[str, ...]:
    """The hosts an organization's `sip:` targets may reach: its trunks' (host,
    fromDomain) and the deployment's `forward_sip_hosts` (comma-separated)."""
    own = [h for host, domain in trunks for h in (host, domain) if h]
    extra = [h.strip() for h in str(settings.forward_sip_hosts or "").split(",") if h.strip()]
    return (*own, *extra)


def refused_message(host: str) -> str:
    return (
        f"sip: target host {host!r} is not allowed: a SIP URI may only reach the host or "
        "fromDomain of one of the organization's trunks, or a host the platform admin "
        "lists in RINGCAST_FORWARD_SIP_HOSTS"
    )
