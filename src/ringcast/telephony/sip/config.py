"""Trunk / user-agent configuration: a plain dataclass, no settings or database.

The HTTP `/api/trunks` resource maps its rows onto `TrunkConfig`; tests build one
directly. `allowed_peers` are the source hosts whose INVITEs we accept (the trunk's
host is always one of them); anything else gets 403. `transport` names one of
`transport.TRANSPORTS`; any other name is refused here (`SipConfigError`), and so is
SRTP over clear-text signalling unless `srtp_over_insecure_signaling` (sdes.py).
`transport.TRANSPORTS`; any other name is refused here (`SipConfigError`). A "tls"
trunk dials as `tls` says (CA bundle or the system store, the server name to check).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .errors import SipConfigError
from .numbers import NumberFormat
from .sdes import SrtpMode, check_signaling
from .transport import TlsClient, check_transport


@dataclass(frozen=True, slots=True)
class TrunkConfig:
    host: str
    port: int = 5060
    transport: str = "udp"  # a key of transport.TRANSPORTS
    username: str | None = None
    password: str | None = None
    from_domain: str | None = None
    local_host: str = "127.0.0.1"
    local_port: int = 0
    allowed_peers: frozenset[str] = field(default_factory=frozenset)
    user_agent: str = "ringcast"
    codecs: tuple[str, ...] = ("PCMU", "PCMA")  # offered in this order
    register: bool = False  # REGISTER with the trunk (see `Registration`)
    register_expires_s: int = 3600
    # what the carrier expects of an INVITE (numbers.py): the called number's format
    # and tech prefix, P-Asserted-Identity with the caller id, Privacy: id, the From user
    number_format: NumberFormat = "e164"
    tech_prefix: str = ""
    asserted_identity: bool = False
    privacy: bool = False
    from_user: str | None = None
    offer_100rel: bool = True  # Supported: 100rel on INVITEs (reliable 18x get PRACK)
    max_redirects: int = 3  # 3xx followed per call (0: a 3xx fails the call)
    max_retry_after_s: int = 60  # cap on a 503/480 Retry-After back-off
    # its INVITEs may come from any address, proven by its username/password (407)
    inbound_digest: bool = False
    # SRTP with SDES keys (sdes.py): off | optional | mandatory; SDES needs TLS unless
    # the operator explicitly allows keys in clear-text signalling
    srtp: SrtpMode = "off"
    srtp_over_insecure_signaling: bool = False
    tls: TlsClient | None = None  # transport "tls": whom to trust, the name to check
    # a domain host is looked up as RFC 3263 says (NAPTR, SRV, then A); False when the
    # port was given (a Forward's `sip:user@host:port`): A only, that port
    srv_lookup: bool = True

    def __post_init__(self) -> None:
        check_transport(self.transport)
        problem = check_signaling(self.srtp, self.transport, self.srtp_over_insecure_signaling)
        if problem is not None:
            raise SipConfigError(problem)

    @property
    def tls_client(self) -> TlsClient:
        """How a TLS connection for this trunk verifies the peer: `tls`, checking the
        trunk's host name when no other server name is set."""
        client = self.tls or TlsClient()
        if client.server_name is None:
            client = dataclasses.replace(client, server_name=self.host)
        return client

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def peer_allowed(self, host: str) -> bool:
        return host == self.host or host in self.allowed_peers
