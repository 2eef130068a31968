from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from ringcast.kit.schemas import InputSchema, Schema
from ringcast.telephony.sip.sdes import SrtpMode
from ringcast.trunks.tls import MAX_PEM_CHARS, check_certificates, check_private_key

# the SIP transports (telephony/sip/transport.py TRANSPORTS; a test keeps the two equal):
# anything else is a 400 here, never a silent UDP later
Transport = Literal["udp", "tcp", "tls"]
Codec = Literal["PCMU", "PCMA"]
_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.\-]{0,253}[A-Za-z0-9])?$|^\[[0-9A-Fa-f:]+\]$")


def _check_host(value: str | None) -> str | None:
    if value is not None and not _HOST_RE.match(value):
        raise ValueError("must be a host name or an IP address")
    return value


def _default_codecs() -> list[Codec]:
    return ["PCMU", "PCMA"]


NumberFormat = Literal["e164", "e164_no_plus", "national"]
TrunkStatus = Literal["up", "down", "unregistered"]
_DIALABLE = r"^[0-9*#]*$"
_SIP_USER = r"^[A-Za-z0-9+._~*#-]*$"


class _CarrierSettings(Schema):
    """What a carrier expects of us (README "Connecting a carrier"); the defaults."""

    # OPTIONS keepalive period (0: none); the trunk's status follows the answers
    options_interval_s: int = Field(default=30, ge=0, le=3600, alias="optionsIntervalSec")
    register_expires_s: int = Field(default=3600, ge=10, le=86400, alias="registerExpiresSec")
    # learn the far end's RTP address from its packets (NAT, SBCs)
    symmetric_rtp: bool = True
    # latch only onto RTP from the SDP's or the signalling's IP address
    strict_media_source: bool = False
    max_inbound_calls: int = Field(default=10, ge=0, le=100000)
    # the called number in the Request-URI: +E.164, E.164 without +, national
    number_format: NumberFormat = "e164"
    tech_prefix: str | None = Field(default=None, max_length=20, pattern=_DIALABLE)
    asserted_identity: bool = False  # P-Asserted-Identity with the caller id
    privacy: bool = False  # Privacy: id (the caller id withheld)
    from_user: str | None = Field(default=None, max_length=64, pattern=_SIP_USER)
    # Supported: 100rel on our INVITEs (RFC 3262: reliable 18x, acknowledged with PRACK)
    offer_100rel: bool = Field(default=True, alias="offer100rel")
    # 3xx answers followed to their Contact per call (0: a 3xx fails the call)
    max_redirects: int = Field(default=3, ge=0, le=10)
    # the longest back-off a 503/480 Retry-After may impose on the trunk's next calls
    max_retry_after_s: int = Field(default=60, ge=0, le=3600, alias="maxRetryAfterSec")
    # its INVITEs may come from any address, proven by its username/password (407)
    inbound_digest: bool = False
    # SRTP with SDES keys (README "SRTP"): off | optional | mandatory; SDES keys travel
    # in the SDP, so without TLS only when the operator says so
    srtp: SrtpMode = "off"
    srtp_over_insecure_signaling: bool = False


class _TlsSettings(Schema):
    """Transport "tls" (README "SIP over TLS"): whom to trust, which name to check."""

    # PEM CA certificates the carrier's chain must lead to; null: the system's CA store
    tls_ca_bundle: str | None = Field(default=None, max_length=MAX_PEM_CHARS)
    # the name sent as SNI and checked against the carrier's certificate; null: `host`
    tls_server_name: str | None = Field(default=None, max_length=255)
    # our client certificate chain (PEM), for carriers that ask for one
    tls_client_cert: str | None = Field(default=None, max_length=MAX_PEM_CHARS)

    _pem = field_validator("tls_ca_bundle", "tls_client_cert")(check_certificates)
    _name = field_validator("tls_server_name")(_check_host)


class TrunkCreate(_TlsSettings, _CarrierSettings, InputSchema):
    name: str = Field(min_length=1, max_length=200)
    host: str = Field(min_length=1, max_length=255)
    port: int | None = Field(default=None, ge=1, le=65535)  # null: 5061 for TLS, else 5060
    transport: Transport = "udp"
    username: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=200)
    from_domain: str | None = Field(default=None, max_length=255)
    max_channels: int = Field(default=30, ge=1, le=100000)
    calls_per_second: float = Field(default=10.0, gt=0, le=10000)
    codecs: list[Codec] = Field(default_factory=_default_codecs, min_length=1)
    # not named `register`: that shadows BaseModel.register
    sip_register: bool = Field(default=False, alias="register")
    is_default: bool = False
    # the private key of tlsClientCert (PEM, unencrypted): write-only, sealed at rest
    tls_client_key: str | None = Field(default=None, max_length=MAX_PEM_CHARS)

    _host = field_validator("host", "from_domain")(_check_host)
    _key = field_validator("tls_client_key")(check_private_key)


class TrunkUpdate(InputSchema):
    """Partial: only the properties sent change. `password: null` clears it."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    host: str | None = Field(default=None, min_length=1, max_length=255)
    port: int | None = Field(default=None, ge=1, le=65535)
    transport: Transport | None = None
    username: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, max_length=200)
    from_domain: str | None = Field(default=None, max_length=255)
    max_channels: int | None = Field(default=None, ge=1, le=100000)
    calls_per_second: float | None = Field(default=None, gt=0, le=10000)
    codecs: list[Codec] | None = Field(default=None, min_length=1)
    sip_register: bool | None = Field(default=None, alias="register")
    is_default: bool | None = None
    options_interval_s: int | None = Field(default=None, ge=0, le=3600, alias="optionsIntervalSec")
    register_expires_s: int | None = Field(
        default=None, ge=10, le=86400, alias="registerExpiresSec"
    )
    symmetric_rtp: bool | None = None
    strict_media_source: bool | None = None
    max_inbound_calls: int | None = Field(default=None, ge=0, le=100000)
    number_format: NumberFormat | None = None
    tech_prefix: str | None = Field(default=None, max_length=20, pattern=_DIALABLE)
    asserted_identity: bool | None = None
    privacy: bool | None = None
    from_user: str | None = Field(default=None, max_length=64, pattern=_SIP_USER)
    offer_100rel: bool | None = Field(default=None, alias="offer100rel")
    max_redirects: int | None = Field(default=None, ge=0, le=10)
    max_retry_after_s: int | None = Field(default=None, ge=0, le=3600, alias="maxRetryAfterSec")
    inbound_digest: bool | None = None
    srtp: SrtpMode | None = None
    srtp_over_insecure_signaling: bool | None = None
    tls_ca_bundle: str | None = Field(default=None, max_length=MAX_PEM_CHARS)
    tls_server_name: str | None = Field(default=None, max_length=255)
    tls_client_cert: str | None = Field(default=None, max_length=MAX_PEM_CHARS)
    tls_client_key: str | None = Field(default=None, max_length=MAX_PEM_CHARS)

    _host = field_validator("host", "from_domain", "tls_server_name")(_check_host)
    _pem = field_validator("tls_ca_bundle", "tls_client_cert")(check_certificates)
    _key = field_validator("tls_client_key")(check_private_key)


class Trunk(_TlsSettings, _CarrierSettings):
    """A trunk as returned: the password is write-only (only whether one is set).
    `status` is what the dialer process last saw (null: not checked yet)."""

    id: str
    name: str
    host: str
    port: int
    transport: str  # as stored: one of Transport (a bad row shows, it is no 500)
    username: str | None
    has_password: bool
    has_tls_client_key: bool = False  # the key itself is never returned
    from_domain: str | None
    max_channels: int
    calls_per_second: float
    codecs: list[Codec]
    sip_register: bool = Field(alias="register")
    is_default: bool
    status: TrunkStatus | None = None
    last_error: str | None = None
    status_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
