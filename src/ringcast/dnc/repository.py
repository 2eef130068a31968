from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.db.base import new_id
from ringcast.db.dialect import dialect_name, insert_ignoring
from ringcast.dnc.models import DncEntry
from ringcast.kit.clock import utcnow
from ringcast.kit.pagination import PageParams


class DncRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: str, entry_id: str) -> DncEntry | None:
        result = await self.session.execute(
            select(DncEntry).where(
                DncEntry.id == entry_id, DncEntry.organization_id == organization_id
            )
        )
        return result.scalar_one_or_none()

    async def by_phone(self, organization_id: str, phone: str) -> DncEntry | None:
        result = await self.session.execute(
            select(DncEntry).where(
                DncEntry.organization_id == organization_id, DncEntry.phone == phone
            )
        )
        return result.scalar_one_or_none()

    async def add(self, organization_id: str, phone: str, reason: str | None, source: str) -> None:
        """Idempotent: a number already listed stays as it was."""
        now = utcnow()
        stmt = insert_ignoring(
            DncEntry, dialect_name(self.session), conflict=["organization_id", "phone"]
        ).values(
            id=new_id(),
            organization_id=organization_id,
            phone=phone,
            reason=reason,
            source=source,
            created_at=now,
            updated_at=now,
        )
        await self.session.execute(stmt)

    async def page(
        self, organization_id: str, params: PageParams
    ) -> tuple[Sequence[DncEntry], int]:
        where = [DncEntry.organization_id == organization_id]
        if params.search:
            where.append(DncEntry.phone.like(f"%{params.search}%"))
        total = (
            await self.session.execute(select(func.count(DncEntry.id)).where(*where))
        ).scalar_one()
        order = (
            DncEntry.created_at.asc() if params.sort_order == "asc" else DncEntry.created_at.desc()
        )
        rows = await self.session.execute(
            select(DncEntry)
            .where(*where)
            .order_by(order, DncEntry.id)
            .offset(params.offset)
            .limit(params.limit)
        )
        return rows.scalars().all(), int(total)

    async def delete(self, entry: DncEntry) -> None:
        await self.session.delete(entry)
        await self.session.flush()
