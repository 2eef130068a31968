from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ringcast.db.base import Base, IdMixin, TimestampMixin
from ringcast.db.types import UtcDateTime


class Trunk(IdMixin, TimestampMixin, Base):
    __tablename__ = "trunks"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    port: Mapped[int] = mapped_column(Integer, nullable=False)
    transport: Mapped[str] = mapped_column(String(8), nullable=False)
    username: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Sealed (`fernet:v1:…`, kit/secret_box.py): the SIP digest needs the plain
    # secret back, so it cannot be hashed. See trunks/service.py.
    password: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    from_domain: Mapped[str | None] = mapped_column(String(255), nullable=True)
    max_channels: Mapped[int] = mapped_column(Integer, nullable=False)
    calls_per_second: Mapped[float] = mapped_column(Float, nullable=False)
    codecs: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    register: Mapped[bool] = mapped_column(Boolean, nullable=False)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # carrier settings (see README "Connecting a carrier")
    options_interval_s: Mapped[int] = mapped_column(Integer, nullable=False, default=30)
    register_expires_s: Mapped[int] = mapped_column(Integer, nullable=False, default=3600)
    symmetric_rtp: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    strict_media_source: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    max_inbound_calls: Mapped[int] = mapped_column(Integer, nullable=False, default=10)
    number_format: Mapped[str] = mapped_column(String(16), nullable=False, default="e164")
    tech_prefix: Mapped[str | None] = mapped_column(String(20), nullable=True)
    asserted_identity: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    privacy: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    from_user: Mapped[str | None] = mapped_column(String(64), nullable=True)
    offer_100rel: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    max_redirects: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    max_retry_after_s: Mapped[int] = mapped_column(Integer, nullable=False, default=60)
    inbound_digest: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # SRTP (telephony/sip/sdes.py): off | optional | mandatory; SDES without TLS allowed
    srtp: Mapped[str] = mapped_column(String(16), nullable=False, default="off")
    srtp_over_insecure_signaling: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False
    )
    # transport "tls" (trunks/tls.py): PEM text; the client key sealed like the password
    tls_ca_bundle: Mapped[str | None] = mapped_column(Text, nullable=True)
    tls_server_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    tls_client_cert: Mapped[str | None] = mapped_column(Text, nullable=True)
    tls_client_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    # health, written by the dialer process that holds the trunk's SIP agent
    status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class TrunkBudget(Base):
    """A trunk's shared CPS schedule: the next free start slot, in the database's
    epoch seconds (trunks/limits_repository.py; PostgreSQL deployments)."""

    __tablename__ = "trunk_budgets"

    trunk_id: Mapped[str] = mapped_column(
        ForeignKey("trunks.id", ondelete="CASCADE"), primary_key=True
    )
    next_slot_s: Mapped[float] = mapped_column(Float, nullable=False)


class TrunkChannelLease(Base):
    """The channels one dialer process holds on a trunk, until `expires_s` (database
    epoch seconds): a dead process's channels come back when its lease runs out."""

    __tablename__ = "trunk_channel_leases"

    trunk_id: Mapped[str] = mapped_column(
        ForeignKey("trunks.id", ondelete="CASCADE"), primary_key=True
    )
    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    in_use: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_s: Mapped[float] = mapped_column(Float, nullable=False)
