from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.kit.pagination import PageParams
from ringcast.kit.repository import paginate
from ringcast.kit.secret_box import PREFIX
from ringcast.trunks.models import Trunk

SORTABLE = {"name": Trunk.name, "createdAt": Trunk.created_at, "host": Trunk.host}


class TrunkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: str, trunk_id: str) -> Trunk | None:
        result = await self.session.execute(
            select(Trunk).where(Trunk.id == trunk_id, Trunk.organization_id == organization_id)
        )
        return result.scalar_one_or_none()

    async def get_default(self, organization_id: str) -> Trunk | None:
        result = await self.session.execute(
            select(Trunk).where(Trunk.organization_id == organization_id, Trunk.is_default)
        )
        return result.scalars().first()

    async def all(self, organization_id: str) -> Sequence[Trunk]:
        result = await self.session.execute(
            select(Trunk).where(Trunk.organization_id == organization_id)
        )
        return result.scalars().all()

    async def page(
        self, organization_id: str, params: PageParams, sort: str
    ) -> tuple[Sequence[Trunk], int]:
        stmt = select(Trunk).where(Trunk.organization_id == organization_id)
        if params.search:
            stmt = stmt.where(Trunk.name.ilike(f"%{params.search}%"))
        return await paginate(self.session, stmt, params, SORTABLE[sort])

    async def with_clear_password(self) -> Sequence[Trunk]:
        """Every organization's trunks whose password is not sealed yet."""
        result = await self.session.execute(
            select(Trunk).where(
                Trunk.password.is_not(None), ~Trunk.password.startswith(PREFIX, autoescape=True)
            )
        )
        return result.scalars().all()

    async def everything(self) -> Sequence[Trunk]:
        """Every organization's trunks (the dialer process starts one SIP agent each)."""
        result = await self.session.execute(select(Trunk).order_by(Trunk.created_at))
        return result.scalars().all()

    async def set_status(self, trunk_id: str, status: str, error: str | None, at: datetime) -> None:
        await self.session.execute(
            update(Trunk)
            .where(Trunk.id == trunk_id)
            .values(status=status, status_error=error and error[:200], status_at=at)
        )

    async def add(self, trunk: Trunk) -> Trunk:
        self.session.add(trunk)
        await self.session.flush()
        return trunk

    async def clear_default(self, organization_id: str, except_id: str | None) -> None:
        stmt = update(Trunk).where(Trunk.organization_id == organization_id, Trunk.is_default)
        if except_id is not None:
            stmt = stmt.where(Trunk.id != except_id)
        await self.session.execute(stmt.values(is_default=False))

    async def delete(self, trunk: Trunk) -> None:
        await self.session.delete(trunk)
        await self.session.flush()
