from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.idempotency.models import IdempotencyRecord


class IdempotencyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: str, key: str) -> IdempotencyRecord | None:
        result = await self.session.execute(
            select(IdempotencyRecord).where(
                IdempotencyRecord.organization_id == organization_id, IdempotencyRecord.key == key
            )
        )
        return result.scalar_one_or_none()

    async def claim(self, organization_id: str, key: str, request_hash: str) -> bool:
        """Insert a pending record; False if another request holds the key."""
        try:
            async with self.session.begin_nested():
                self.session.add(
                    IdempotencyRecord(
                        organization_id=organization_id, key=key, request_hash=request_hash
                    )
                )
        except IntegrityError:
            return False
        return True

    async def complete(
        self, organization_id: str, key: str, status: int, content_type: str | None, body: bytes
    ) -> None:
        record = await self.get(organization_id, key)
        if record is not None:
            record.status_code = status
            record.content_type = content_type
            record.body = body

    async def release(self, organization_id: str, key: str) -> None:
        await self.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.organization_id == organization_id, IdempotencyRecord.key == key
            )
        )

    async def purge_older_than(self, cutoff: datetime) -> None:
        await self.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
        )
