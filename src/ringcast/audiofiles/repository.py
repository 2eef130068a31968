from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.audiofiles.models import AudioFile
from ringcast.kit.pagination import PageParams
from ringcast.kit.repository import paginate

SORTABLE = {
    "title": AudioFile.title,
    "createdAt": AudioFile.created_at,
    "durationSeconds": AudioFile.duration_ms,
}


class AudioFileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: str, audio_id: str) -> AudioFile | None:
        result = await self.session.execute(
            select(AudioFile).where(
                AudioFile.id == audio_id, AudioFile.organization_id == organization_id
            )
        )
        return result.scalar_one_or_none()

    async def existing_ids(self, organization_id: str, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        result = await self.session.execute(
            select(AudioFile.id).where(
                AudioFile.organization_id == organization_id, AudioFile.id.in_(list(ids))
            )
        )
        return set(result.scalars())

    async def add(self, audio: AudioFile) -> AudioFile:
        self.session.add(audio)
        await self.session.flush()
        return audio

    async def delete(self, audio: AudioFile) -> None:
        await self.session.delete(audio)
        await self.session.flush()

    def _filtered(self, organization_id: str, search: str | None) -> Select[AudioFile]:
        stmt = select(AudioFile).where(AudioFile.organization_id == organization_id)
        if search:
            like = f"%{search}%"
            stmt = stmt.where(or_(AudioFile.title.ilike(like), AudioFile.description.ilike(like)))
        return stmt

    async def page(
        self, organization_id: str, params: PageParams, sort: str
    ) -> tuple[Sequence[AudioFile], int]:
        stmt = self._filtered(organization_id, params.search)
        return await paginate(self.session, stmt, params, SORTABLE[sort], AudioFile.id)
