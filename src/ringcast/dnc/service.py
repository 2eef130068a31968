"""The do-not-call list. The dialer checks it when it claims a job (at dial
time, not only at import); a listed number's attempt is recorded as
`cancelled` with reason `dnc` and the job ends without a call."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.dnc.models import DncEntry
from ringcast.dnc.repository import DncRepository
from ringcast.errors import NotFoundError
from ringcast.kit.pagination import PageParams


async def add(
    session: AsyncSession, organization_id: str, phone: str, reason: str | None, source: str = "api"
) -> DncEntry:
    """Put a number on the list (also the flow's opt-out hook); idempotent."""
    repo = DncRepository(session)
    await repo.add(organization_id, phone, reason, source)
    entry = await repo.by_phone(organization_id, phone)
    assert entry is not None
    return entry


async def remove(session: AsyncSession, organization_id: str, entry_id: str) -> None:
    repo = DncRepository(session)
    entry = await repo.get(organization_id, entry_id)
    if entry is None:
        raise NotFoundError("Not on the do-not-call list", code="DNC_NOT_FOUND")
    await repo.delete(entry)


async def page(
    session: AsyncSession, organization_id: str, params: PageParams
) -> tuple[Sequence[DncEntry], int]:
    return await DncRepository(session).page(organization_id, params)
