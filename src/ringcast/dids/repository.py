from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.dids.models import Did
from ringcast.kit.pagination import PageParams

SORTABLE = {
    "number": Did.number,
    "country": Did.country,
    "status": Did.status,
    "createdAt": Did.created_at,
    "lastUsedAt": Did.last_used_at,
}


class DidRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: str, did_id: str) -> Did | None:
        result = await self.session.execute(
            select(Did).where(Did.id == did_id, Did.organization_id == organization_id)
        )
        return result.scalar_one_or_none()

    async def by_numbers(self, organization_id: str, numbers: Sequence[str]) -> Sequence[Did]:
        if not numbers:
            return []
        result = await self.session.execute(
            select(Did).where(Did.organization_id == organization_id, Did.number.in_(numbers))
        )
        return result.scalars().all()

    async def active(self, organization_id: str) -> Sequence[Did]:
        result = await self.session.execute(
            select(Did)
            .where(Did.organization_id == organization_id, Did.status == "active")
            .order_by(Did.number)
        )
        return result.scalars().all()

    async def number_taken(self, organization_id: str, number: str, except_id: str | None) -> bool:
        stmt = select(Did.id).where(Did.organization_id == organization_id, Did.number == number)
        if except_id is not None:
            stmt = stmt.where(Did.id != except_id)
        return (await self.session.execute(stmt)).first() is not None

    async def page(
        self, organization_id: str, params: PageParams, sort: str, status: str | None = None
    ) -> tuple[Sequence[Did], int]:
        where = [Did.organization_id == organization_id]
        if status is not None:
            where.append(Did.status == status)
        if params.search:
            like = f"%{params.search}%"
            where.append(or_(Did.number.like(like), Did.description.ilike(like)))
        total = (await self.session.execute(select(func.count(Did.id)).where(*where))).scalar_one()
        column = SORTABLE[sort]
        order = column.asc() if params.sort_order == "asc" else column.desc()
        rows = await self.session.execute(
            select(Did)
            .where(*where)
            .order_by(order, Did.id)
            .offset(params.offset)
            .limit(params.limit)
        )
        return rows.scalars().all(), int(total)

    async def add(self, did: Did) -> Did:
        self.session.add(did)
        await self.session.flush()
        return did

    async def delete(self, did: Did) -> None:
        await self.session.delete(did)
        await self.session.flush()

    async def mark_used(self, organization_id: str, number: str, at: datetime) -> None:
        await self.session.execute(
            update(Did)
            .where(Did.organization_id == organization_id, Did.number == number)
            .values(last_used_at=at, updated_at=Did.updated_at)
        )
