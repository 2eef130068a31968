"""Trunk logic.

SIP digest authentication needs the plain password (or HA1 =
MD5(user:realm:password), which is password-equivalent and needs the realm
up front), so it is sealed, not hashed: `kit/secret_box.py` (Fernet, the
`RINGCAST_SECRET_KEY`) on every write, opened only by the dialer when it
builds the trunk's SIP config (`dialer/sip_launcher.py`). It is never returned.
The private key of a TLS client certificate is sealed and never returned the same
way (trunks/tls.py); a key that does not match the certificate is a 400.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.errors import NotFoundError, ValidationFailedError
from ringcast.kit.pagination import PageParams
from ringcast.kit.secret_box import SecretBox
from ringcast.telephony.sip.sdes import check_signaling
from ringcast.telephony.sip.transport import DEFAULT_PORTS
from ringcast.trunks.models import Trunk
from ringcast.trunks.repository import SORTABLE, TrunkRepository
from ringcast.trunks.schemas import Trunk as TrunkOut
from ringcast.trunks.schemas import TrunkCreate, TrunkUpdate
from ringcast.trunks.tls import key_matches


def to_schema(trunk: Trunk) -> TrunkOut:
    fields = {c: getattr(trunk, c) for c in TrunkOut.model_fields if c in _COLUMNS}
    return TrunkOut.model_validate(
        {
            **fields,
            "has_password": bool(trunk.password),
            "has_tls_client_key": bool(trunk.tls_client_key),
            "sip_register": trunk.register,
            "last_error": trunk.status_error,
        }
    )


_COLUMNS = frozenset(Trunk.__table__.columns.keys())
_NULLABLE = frozenset(c.name for c in Trunk.__table__.columns if c.nullable)


def _columns(values: dict[str, object]) -> dict[str, object]:
    if "sip_register" in values:
        values["register"] = values.pop("sip_register")
    return values


async def get(session: AsyncSession, organization_id: str, trunk_id: str) -> Trunk:
    trunk = await TrunkRepository(session).get(organization_id, trunk_id)
    if trunk is None:
        raise NotFoundError("Trunk not found", code="TRUNK_NOT_FOUND")
    return trunk


def _sealed(values: dict[str, object], secrets: SecretBox) -> dict[str, object]:
    for name in ("password", "tls_client_key"):
        value = values.get(name)
        if isinstance(value, str):
            values[name] = secrets.seal(value)
    return values


def _check_client_key(cert: str | None, key: str | None, key_sealed: bool) -> None:
    """A client certificate and its key go together (the key checked while in clear)."""
    if key is not None and cert is None:
        raise ValidationFailedError.single(
            "tlsClientCert", "required", "tlsClientKey needs its tlsClientCert"
        )
    if cert is not None and key is not None and not key_sealed and not key_matches(cert, key):
        raise ValidationFailedError.single(
            "tlsClientKey", "mismatch", "tlsClientKey is not the key of tlsClientCert"
        )


async def create(
    session: AsyncSession, organization_id: str, data: TrunkCreate, secrets: SecretBox
) -> Trunk:
    repo = TrunkRepository(session)
    # the organization's first trunk is its default
    is_default = data.is_default or not await repo.all(organization_id)
    _check_client_key(data.tls_client_cert, data.tls_client_key, key_sealed=False)
    values = _columns(data.model_dump(exclude={"is_default"}))
    if values["port"] is None:
        values["port"] = DEFAULT_PORTS[data.transport]  # RFC 3261 §19.1.2: 5061 for TLS
    values = _sealed(values, secrets)
    trunk = Trunk(organization_id=organization_id, **values)
    trunk.is_default = is_default
    _check_srtp(trunk)
    await repo.add(trunk)
    if is_default:
        await repo.clear_default(organization_id, except_id=trunk.id)
    return trunk


async def update(
    session: AsyncSession,
    organization_id: str,
    trunk_id: str,
    data: TrunkUpdate,
    secrets: SecretBox,
) -> Trunk:
    trunk = await get(session, organization_id, trunk_id)
    changes = _columns(data.model_dump(exclude_unset=True))
    cert = cast(str | None, changes.get("tls_client_cert", trunk.tls_client_cert))
    key = cast(str | None, changes.get("tls_client_key", trunk.tls_client_key))
    _check_client_key(cert, key, key_sealed="tls_client_key" not in changes)
    changes = _sealed(changes, secrets)
    for name, value in changes.items():
        if value is None and name not in _NULLABLE:
            continue  # required columns: null means "unchanged"
        setattr(trunk, name, value)
    _check_srtp(trunk)
    await session.flush()
    if changes.get("is_default"):
        await TrunkRepository(session).clear_default(organization_id, except_id=trunk.id)
    return trunk


def _check_srtp(trunk: Trunk) -> None:
    """SRTP (SDES) needs TLS signalling, or the operator's explicit allow flag."""
    problem = check_signaling(trunk.srtp, trunk.transport, trunk.srtp_over_insecure_signaling)
    if problem is not None:
        raise ValidationFailedError.single("srtp", "srtp_needs_tls", problem)


async def delete(session: AsyncSession, organization_id: str, trunk_id: str) -> None:
    await TrunkRepository(session).delete(await get(session, organization_id, trunk_id))


async def page(
    session: AsyncSession, organization_id: str, params: PageParams
) -> tuple[Sequence[Trunk], int]:
    sort = params.checked_sort(list(SORTABLE), "createdAt")
    return await TrunkRepository(session).page(organization_id, params, sort)


async def seal_existing(session: AsyncSession, secrets: SecretBox) -> int:
    """Seal the passwords still stored in clear (rows from before sealing)."""
    trunks = await TrunkRepository(session).with_clear_password()
    for trunk in trunks:
        assert trunk.password is not None
        trunk.password = secrets.seal(trunk.password)
    await session.flush()
    return len(trunks)
