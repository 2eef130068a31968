from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.audiofiles import ingest
from ringcast.audiofiles.models import AudioFile
from ringcast.audiofiles.repository import SORTABLE, AudioFileRepository
from ringcast.audiofiles.schemas import AudioFileUpdate, UsageType
from ringcast.errors import NotFoundError
from ringcast.flows.references import ensure_unused
from ringcast.kit.pagination import PageParams
from ringcast.storage.base import Storage


async def upload(
    session: AsyncSession,
    storage: Storage,
    organization_id: str,
    file: BinaryIO,
    *,
    file_name: str | None,
    declared_type: str | None,
    title: str | None,
    description: str | None,
    usage_type: UsageType,
    tags: list[str],
    limits: ingest.AudioLimits,
) -> AudioFile:
    stored = await ingest.ingest_upload(
        file, declared_type, storage, f"{organization_id}/audio", limits
    )
    audio = AudioFile(
        organization_id=organization_id,
        title=title or (file_name or "untitled").rsplit(".", 1)[0][:200] or "untitled",
        description=description,
        usage_type=usage_type.value,
        tags=tags,
        duration_ms=stored.duration_ms,
        sample_rate=stored.sample_rate,
        channels=stored.channels,
        bit_depth=stored.bit_depth,
        original_file_name=file_name,
        file_id=stored.file_id,
        content_type=stored.content_type,
        file_size=stored.file_size,
        checksum=stored.checksum,
        original_key=stored.original_key,
        telephony_key=stored.telephony_key,
    )
    try:
        return await AudioFileRepository(session).add(audio)
    except BaseException:
        ingest.discard(storage, stored.original_key, stored.telephony_key)
        raise


async def get(session: AsyncSession, organization_id: str, audio_id: str) -> AudioFile:
    audio = await AudioFileRepository(session).get(organization_id, audio_id)
    if audio is None:
        raise NotFoundError(f"Audio file {audio_id} not found", code="AUDIO_NOT_FOUND")
    return audio


async def page(
    session: AsyncSession, organization_id: str, params: PageParams
) -> tuple[Sequence[AudioFile], int]:
    sort = params.checked_sort(list(SORTABLE), "createdAt")
    return await AudioFileRepository(session).page(organization_id, params, sort)


async def update(
    session: AsyncSession, organization_id: str, audio_id: str, data: AudioFileUpdate
) -> AudioFile:
    audio = await get(session, organization_id, audio_id)
    changes = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name in ("title", "usage_type", "tags"):
            continue
        setattr(audio, name, value.value if isinstance(value, UsageType) else value)
    await session.flush()
    return audio


async def delete(
    session: AsyncSession, storage: Storage, organization_id: str, audio_id: str
) -> None:
    audio = await get(session, organization_id, audio_id)
    await ensure_unused(session, organization_id, "audio", audio_id)
    await AudioFileRepository(session).delete(audio)
    ingest.discard(storage, audio.original_key, audio.telephony_key)
