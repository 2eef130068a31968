"""Runtime settings, read from the environment (prefix ``RINGCAST_``).

Only the edges (API, CLI, dialer wiring) import this module; the engines get
plain config objects passed in.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ringcast.kit.event_loop import EventLoopChoice
from ringcast.kit.secret_box import KEY_FILE, SecretBox, SecretBoxError, load_or_create_key
from ringcast.telephony.media.priority import MediaPriority
from ringcast.telephony.sip.transport import TlsServer

# the longest uploaded audio accepted, in seconds, by usage type
AUDIO_MAX_DURATION_S: dict[str, float] = {
    "welcome": 300.0,
    "goodbye": 300.0,
    "question": 300.0,
    "prompt": 600.0,
    "notification": 600.0,
    "hold_music": 3600.0,
    "other": 1800.0,
    "dictionary": 60.0,  # a dictionary entry: one word or number
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RINGCAST_", extra="ignore")

    data_dir: Path = Path(".ringcast")
    database_url: SecretStr | None = None
    redis_url: SecretStr | None = None

    host: str = "127.0.0.1"
    port: int = 8080
    # the address our SIP and RTP sockets bind to (and advertise in SDP):
    # a routable address of this host when the trunk is not on loopback
    sip_local_host: str = "127.0.0.1"
    # the SIP port (UDP and TCP) the dialer process listens on from its start:
    # carriers send inbound calls here. 0 = a free port (tests); one per process
    sip_port: int = Field(default=5060, ge=0, le=65535)
    # behind NAT: the public address (and port) written in Via, Contact and SDP
    sip_advertised_host: str | None = None
    sip_advertised_port: int | None = Field(default=None, ge=1, le=65535)
    # a new request from an address that is no trunk's: "drop" (no answer at all: a
    # scanner learns nothing, a spoofed source gets no 403 retransmitted 10 times) or
    # "reject" (403 to an INVITE, 200 to an OPTIONS)
    sip_unknown_source: Literal["drop", "reject"] = "drop"
    # SIP over TLS (README "SIP over TLS"): the listener's certificate chain and key
    # (PEM files); no certificate: no TLS listener (TLS trunks still dial out)
    sip_tls_cert_file: Path | None = None
    sip_tls_key_file: Path | None = None
    sip_tls_port: int = Field(default=5061, ge=0, le=65535)
    # how long a call through a registering trunk waits for the registration
    sip_register_wait_s: float = Field(default=5.0, ge=0.0)
    # how often the dialer re-reads the trunks (new, changed, deleted ones)
    sip_trunk_sync_s: float = Field(default=10.0, gt=0.0)
    # no RTP received for this long ends an answered call (failed / media_timeout);
    # the longer value applies while the call is on hold
    media_timeout_s: float = Field(default=30.0, gt=0.0)
    media_hold_timeout_s: float = Field(default=600.0, gt=0.0)

    # the dialer loop (`ringcast dialer`, and the child `ringcast serve` runs):
    # its period, and how long a claimed call's lease lasts (renewed while it
    # runs; a dead dialer's calls come back as worker_lost after it)
    dialer_tick_ms: int = Field(default=200, ge=10)
    dialer_lease_s: float = Field(default=60.0, ge=2.0)
    # overload control (telephony/overload.py): the calls one dialer process carries at
    # once, inbound and outbound (0 = no cap), and the media clock's recent lateness in
    # ms that also counts as full (0 = not watched). While full the dialer claims no new
    # jobs (they wait, pending) and new inbound INVITEs get 503 with this Retry-After
    dialer_max_calls: int = Field(default=1000, ge=0)
    media_overload_late_ms: float = Field(default=40.0, ge=0.0)
    sip_retry_after_s: int = Field(default=5, ge=1, le=3600)
    # hosts a Forward node's sip: target may reach beyond the organization's own trunks'
    # hosts (comma-separated names or IPs, `*.example.com` wildcards; telephony/sip/targets.py)
    forward_sip_hosts: str = ""
    # media workers (telephony/media/workers.py): every call's RTP and media clock in
    # this many worker processes, so one dialer uses every core; "auto" (the default) =
    # one per core (os.cpu_count()); 0 = in the dialer's own event loop (one core; see
    # docs/adr/0003-media-workers.md)
    media_workers: int = Field(default="auto", validate_default=True, ge=0, le=256)
    # CPU priority of the processes that carry media (telephony/media/priority.py):
    # normal | high (nice -10) | realtime (SCHED_RR for the media clocks); needs the right
    media_priority: MediaPriority = "normal"
    # the event loop of `ringcast dialer` (and the dialer `ringcast serve` runs):
    # auto = uvloop when installed and media workers carry the media, else asyncio |
    # uvloop | asyncio (kit/event_loop.py)
    event_loop: EventLoopChoice = "auto"

    rate_limit_per_second: int = Field(default=10, ge=1)
    rate_limit_burst: int = Field(default=20, ge=1)

    idempotency_ttl_hours: int = 24
    auth_cache_seconds: float = 5.0
    max_upload_bytes: int = 50 * 1024 * 1024
    # uploaded audio: the longest accepted per usage type (and "dictionary" for
    # a dictionary entry), in seconds of source audio; JSON in the environment,
    # the types given replace the defaults: RINGCAST_AUDIO_MAX_DURATION_S='{"hold_music": 7200}'
    audio_max_duration_s: dict[str, float] = Field(
        default_factory=lambda: dict(AUDIO_MAX_DURATION_S)
    )
    # the most the 8 kHz 16-bit result may take (16,000 bytes a second)
    audio_max_decoded_bytes: int = Field(default=64 * 1024 * 1024, ge=16_000)
    # each upload decodes in a child process with this much memory and time, at
    # most this many at once per API process
    audio_decode_memory_bytes: int = Field(default=512 * 1024 * 1024, ge=64 * 1024 * 1024)
    audio_decode_timeout_s: float = Field(default=60.0, gt=0.0)
    audio_decode_workers: int = Field(default=2, ge=1)
    log_level: str = "INFO"
    # signs /dashboard session cookies (HMAC-SHA256), at least 32 characters;
    # unset: a random one per process, so dashboard sessions end on restart
    dashboard_secret: SecretStr | None = None
    # failed dashboard sign-ins allowed per client address per minute (then 429)
    dashboard_signin_failures_per_minute: int = Field(default=10, ge=1)
    # seals trunk passwords and webhook secrets at rest (a Fernet key:
    # `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`);
    # unset: one made once into <data_dir>/secret.key (0600). Every host that
    # shares the database needs the same key.
    secret_key: SecretStr | None = None

    # webhooks (the delivery worker runs in the dialer process): the wait after
    # the 1st, 2nd, ... failed attempt (the last one repeats), up to ±jitter of
    # it at random, each attempt cut off after the timeout; gives up after
    # max attempts. JSON in the environment: RINGCAST_WEBHOOK_BACKOFF_S='[10,30]'
    webhook_backoff_s: list[float] = Field(
        default_factory=lambda: [10.0, 30.0, 120.0, 600.0, 3600.0, 10800.0, 21600.0, 43200.0],
        min_length=1,
    )
    webhook_jitter: float = Field(default=0.2, ge=0.0, le=1.0)
    webhook_max_attempts: int = Field(default=10, ge=1)
    webhook_timeout_s: float = Field(default=10.0, gt=0.0)
    webhook_poll_s: float = Field(default=1.0, gt=0.0)
    webhook_retention_days: float = Field(default=30.0, gt=0.0)
    # false: webhook URLs must reach public addresses (no loopback, private,
    # link-local, ... hosts: checked at create/update and at each delivery);
    # true for receivers on this host or the private network
    webhook_allow_private_networks: bool = False

    def sip_tls_server(self) -> TlsServer | None:
        """The TLS listener's settings; None without a certificate (the key defaults to
        the certificate file: a PEM holding both)."""
        if self.sip_tls_cert_file is None:
            return None
        key = self.sip_tls_key_file or self.sip_tls_cert_file
        return TlsServer(str(self.sip_tls_cert_file), str(key), self.sip_tls_port)

    @field_validator("media_workers", mode="before")
    @classmethod
    def _media_workers_auto(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() == "auto":
            return os.cpu_count() or 1
        return value

    @field_validator("audio_max_duration_s")
    @classmethod
    def _audio_durations(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(AUDIO_MAX_DURATION_S))
        if unknown:
            raise ValueError(
                f"unknown usage type(s) {', '.join(unknown)}; use {', '.join(AUDIO_MAX_DURATION_S)}"
            )
        if any(seconds <= 0 for seconds in value.values()):
            raise ValueError("durations are seconds above 0")
        return {**AUDIO_MAX_DURATION_S, **value}

    @field_validator("secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                SecretBox(value.get_secret_value())  # a malformed key fails at start-up
            except SecretBoxError as exc:
                raise ValueError(str(exc)) from exc
        return value

    def secret_box(self) -> SecretBox:
        """Seals and opens stored secrets with RINGCAST_SECRET_KEY or the key file."""
        if self.secret_key is not None:
            return _box(self.secret_key.get_secret_value())
        return _box(load_or_create_key(self.data_dir / KEY_FILE))

    def resolved_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite+aiosqlite:///{(self.data_dir / 'ringcast.db').resolve()}"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir


@lru_cache(maxsize=8)
def _box(key: str) -> SecretBox:
    return SecretBox(key)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
