"""Every audience query; all filtered by organization."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.audiences.models import Audience, AudienceMember
from ringcast.contacts.models import Contact
from ringcast.db.dialect import dialect_name, insert_ignoring
from ringcast.kit.clock import utcnow

_CHUNK = 5000


class AudienceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: str, audience_id: str) -> Audience | None:
        result = await self.session.execute(
            select(Audience).where(
                Audience.id == audience_id, Audience.organization_id == organization_id
            )
        )
        return result.scalar_one_or_none()

    async def list(
        self,
        organization_id: str,
        *,
        search: str | None,
        sort_column: str,
        descending: bool,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[Audience], int]:
        where = [Audience.organization_id == organization_id]
        if search:
            escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(Audience.name.ilike(f"%{escaped}%", escape="\\"))
        column = {"name": Audience.name, "createdAt": Audience.created_at}[sort_column]
        total = (
            await self.session.execute(select(func.count()).select_from(Audience).where(*where))
        ).scalar_one()
        rows = await self.session.execute(
            select(Audience)
            .where(*where)
            .order_by(column.desc() if descending else column.asc(), Audience.id)
            .offset(offset)
            .limit(limit)
        )
        return rows.scalars().all(), total

    async def add(self, audience: Audience) -> Audience:
        self.session.add(audience)
        await self.session.flush()
        return audience

    async def delete(self, audience: Audience) -> None:
        await self.session.delete(audience)
        await self.session.flush()

    async def counts(self, audience_ids: Sequence[str]) -> dict[str, int]:
        """Live (not soft-deleted) members per audience."""
        if not audience_ids:
            return {}
        result = await self.session.execute(
            select(AudienceMember.audience_id, func.count())
            .join(Contact, Contact.id == AudienceMember.contact_id)
            .where(AudienceMember.audience_id.in_(audience_ids), Contact.deleted_at.is_(None))
            .group_by(AudienceMember.audience_id)
        )
        return dict(result.all())

    async def member_ids(self, audience_id: str, contact_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(contact_ids), _CHUNK):
            result = await self.session.execute(
                select(AudienceMember.contact_id).where(
                    AudienceMember.audience_id == audience_id,
                    AudienceMember.contact_id.in_(contact_ids[start : start + _CHUNK]),
                )
            )
            found.update(result.scalars())
        return found

    async def add_members(self, audience_id: str, contact_ids: Sequence[str]) -> None:
        """Insert memberships; existing ones are left alone (adding twice is a no-op).
        The caller has checked that the audience and contacts are the organization's."""
        if not contact_ids:
            return
        stmt = insert_ignoring(
            AudienceMember, dialect_name(self.session), conflict=["audience_id", "contact_id"]
        )
        now = utcnow()
        await self.session.execute(
            stmt,
            [{"audience_id": audience_id, "contact_id": c, "created_at": now} for c in contact_ids],
        )

    async def remove_members(self, audience_id: str, contact_ids: Sequence[str]) -> int:
        removed = 0
        for start in range(0, len(contact_ids), _CHUNK):
            result = await self.session.execute(
                delete(AudienceMember).where(
                    AudienceMember.audience_id == audience_id,
                    AudienceMember.contact_id.in_(contact_ids[start : start + _CHUNK]),
                )
            )
            removed += int(getattr(result, "rowcount", 0) or 0)
        return removed
