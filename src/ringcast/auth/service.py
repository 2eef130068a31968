from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.auth import secrets
from ringcast.auth.models import ApiKey, DashboardSession, Organization
from ringcast.auth.principal import Principal
from ringcast.auth.repository import (
    ApiKeyRepository,
    DashboardSessionRepository,
    OrganizationRepository,
)
from ringcast.auth.schemas import ApiKeyCreate, Role
from ringcast.errors import NotFoundError, UnauthorizedError, ValidationFailedError
from ringcast.kit.clock import utcnow

# lastUsedAt is written at most this often per key, so reads stay reads.
TOUCH_INTERVAL = timedelta(seconds=30)

_DURATION_RE = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """`90d`, `12h`, `30m`, `2w` → timedelta (CLI `--expires`)."""
    match = _DURATION_RE.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"invalid duration {text!r}: use e.g. 90d, 12h, 30m, 2w")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


async def get_or_create_organization(session: AsyncSession, name: str) -> Organization:
    repo = OrganizationRepository(session)
    return await repo.get_by_name(name) or await repo.create(name)


async def create_key(
    session: AsyncSession, organization_id: str, data: ApiKeyCreate
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the secret (shown once, never stored)."""
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise ValidationFailedError.single(
            "expiresAt", "in_past", "expiresAt must be in the future"
        )
    generated = secrets.generate(data.prefix)
    key = ApiKey(
        organization_id=organization_id,
        name=data.name,
        key_prefix=data.prefix,
        lookup_id=generated.lookup_id,
        secret_hash=secrets.digest(generated.full),
        role=data.role.value,
        is_active=True,
        expires_at=data.expires_at,
        rate_limit_per_second=data.rate_limit_per_second,
        rate_limit_burst=data.rate_limit_burst,
    )
    await ApiKeyRepository(session).add(key)
    return key, generated.full


async def list_keys(session: AsyncSession, organization_id: str | None) -> Sequence[ApiKey]:
    return await ApiKeyRepository(session).list(organization_id)


async def revoke_key(session: AsyncSession, organization_id: str, key_id: str) -> ApiKey:
    key = await ApiKeyRepository(session).get(organization_id, key_id)
    if key is None:
        raise NotFoundError(f"API key {key_id} not found", code="API_KEY_NOT_FOUND")
    if key.is_active:
        key.is_active = False
        key.revoked_at = utcnow()
        await DashboardSessionRepository(session).end_for_key(key.id, key.revoked_at)
    return key


async def start_dashboard_session(
    session: AsyncSession, principal: Principal, session_id: str, now: datetime, max_age: timedelta
) -> None:
    """Record a dashboard sign-in (the cookie names `session_id`)."""
    sessions = DashboardSessionRepository(session)
    await sessions.forget_expired(principal.key_id, now)
    await sessions.add(
        DashboardSession(
            id=session_id, api_key_id=principal.key_id, created_at=now, expires_at=now + max_age
        )
    )


async def dashboard_session_live(
    session: AsyncSession, session_id: str, key_id: str, now: datetime
) -> bool:
    """Whether a dashboard session was started for this key and not ended (logout, revocation)."""
    return await DashboardSessionRepository(session).is_live(session_id, key_id, now)


async def end_dashboard_session(session: AsyncSession, session_id: str, now: datetime) -> None:
    await DashboardSessionRepository(session).end(session_id, now)


async def authenticate(session: AsyncSession, raw_key: str | None, now: datetime) -> Principal:
    """Check a presented key; raises 401 with the precise code."""
    if not raw_key:
        raise UnauthorizedError(
            "Missing API key: send it in the x-api-key header", code="API_KEY_MISSING"
        )
    parsed = secrets.parse(raw_key)
    key = await ApiKeyRepository(session).get_by_lookup(parsed.lookup_id) if parsed else None
    if parsed is None or key is None or not secrets.matches(parsed.full, key.secret_hash):
        raise UnauthorizedError("Invalid API key", code="API_KEY_INVALID")
    return await _principal(session, key, now)


async def authenticate_id(
    session: AsyncSession, organization_id: str, key_id: str, now: datetime
) -> Principal:
    """Re-check a key named by id (a dashboard session): the checks of `authenticate`."""
    key = await ApiKeyRepository(session).get(organization_id, key_id)
    if key is None:
        raise UnauthorizedError("Invalid API key", code="API_KEY_INVALID")
    return await _principal(session, key, now)


async def _principal(session: AsyncSession, key: ApiKey, now: datetime) -> Principal:
    if not key.is_active:
        raise UnauthorizedError("This API key has been revoked", code="API_KEY_REVOKED")
    if key.expires_at is not None and key.expires_at <= now:
        raise UnauthorizedError("This API key has expired", code="API_KEY_EXPIRED")
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_INTERVAL:
        await ApiKeyRepository(session).touch(key.id, now)
    return Principal(
        key_id=key.id,
        organization_id=key.organization_id,
        role=Role(key.role),
        rate_limit_per_second=key.rate_limit_per_second,
        rate_limit_burst=key.rate_limit_burst,
        expires_at=key.expires_at,
    )
