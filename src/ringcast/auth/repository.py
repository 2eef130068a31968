from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.auth.models import ApiKey, DashboardSession, Organization


class OrganizationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: str) -> Organization | None:
        return await self.session.get(Organization, organization_id)

    async def get_by_name(self, name: str) -> Organization | None:
        result = await self.session.execute(select(Organization).where(Organization.name == name))
        return result.scalar_one_or_none()

    async def first_two(self, name: str | None) -> Sequence[Organization]:
        """The organization named `name`, or (no name) up to two of them, to tell
        whether exactly one exists."""
        stmt = select(Organization)
        if name is not None:
            stmt = stmt.where(Organization.name == name)
        return (await self.session.execute(stmt.limit(2))).scalars().all()

    async def create(self, name: str) -> Organization:
        org = Organization(name=name)
        self.session.add(org)
        await self.session.flush()
        return org


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_lookup(self, lookup_id: str) -> ApiKey | None:
        result = await self.session.execute(select(ApiKey).where(ApiKey.lookup_id == lookup_id))
        return result.scalar_one_or_none()

    async def get(self, organization_id: str, key_id: str) -> ApiKey | None:
        result = await self.session.execute(
            select(ApiKey).where(ApiKey.id == key_id, ApiKey.organization_id == organization_id)
        )
        return result.scalar_one_or_none()

    async def list(self, organization_id: str | None = None) -> Sequence[ApiKey]:
        stmt = select(ApiKey).order_by(ApiKey.created_at.desc())
        if organization_id is not None:
            stmt = stmt.where(ApiKey.organization_id == organization_id)
        return (await self.session.execute(stmt)).scalars().all()

    async def add(self, key: ApiKey) -> ApiKey:
        self.session.add(key)
        await self.session.flush()
        return key

    async def touch(self, key_id: str, at: datetime) -> None:
        await self.session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id)
            # usage is not an edit: keep updated_at as it was
            .values(last_used_at=at, updated_at=ApiKey.updated_at)
        )


class DashboardSessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: DashboardSession) -> None:
        self.session.add(row)
        await self.session.flush()

    async def is_live(self, session_id: str, key_id: str, now: datetime) -> bool:
        found = await self.session.execute(
            select(DashboardSession.id).where(
                DashboardSession.id == session_id,
                DashboardSession.api_key_id == key_id,
                DashboardSession.ended_at.is_(None),
                DashboardSession.expires_at > now,
            )
        )
        return found.first() is not None

    async def end(self, session_id: str, now: datetime) -> None:
        await self.session.execute(
            update(DashboardSession)
            .where(DashboardSession.id == session_id, DashboardSession.ended_at.is_(None))
            .values(ended_at=now)
        )

    async def end_for_key(self, key_id: str, now: datetime) -> None:
        await self.session.execute(
            update(DashboardSession)
            .where(DashboardSession.api_key_id == key_id, DashboardSession.ended_at.is_(None))
            .values(ended_at=now)
        )

    async def forget_expired(self, key_id: str, now: datetime) -> None:
        """Drop this key's sessions past their age (they can no longer be used)."""
        await self.session.execute(
            delete(DashboardSession).where(
                DashboardSession.api_key_id == key_id, DashboardSession.expires_at <= now
            )
        )
