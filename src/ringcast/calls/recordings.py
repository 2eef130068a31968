"""Recordings: WAV files in the storage under `<org>/recordings/<id>.wav`,
one row each. `StoredRecordingSink` is the flow runner's `RecordingSink` for
live calls (the launcher passes it to the `FlowRunner`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ringcast.audio.wav import write_wav
from ringcast.calls.models import Recording
from ringcast.calls.repository import RecordingRepository
from ringcast.db.base import new_id
from ringcast.errors import NotFoundError
from ringcast.flow.context import RunContext
from ringcast.kit.pagination import PageParams
from ringcast.storage.base import Storage
from ringcast.telephony.channel import Pcm


def storage_key(organization_id: str, recording_id: str) -> str:
    return f"{organization_id}/recordings/{recording_id}.wav"


class StoredRecordingSink:
    def __init__(
        self, storage: Storage, sessions: async_sessionmaker[AsyncSession], job_id: str | None
    ) -> None:
        self.storage = storage
        self.sessions = sessions
        self.job_id = job_id

    async def __call__(
        self, audio: Pcm, duration_ms: int, ctx: RunContext, node_id: str | None = None
    ) -> str:
        organization_id = ctx.organization_id or "unknown"
        recording_id = new_id()
        key = storage_key(organization_id, recording_id)
        data = write_wav(audio)
        stored = await asyncio.to_thread(self.storage.put, key, data)
        async with self.sessions.begin() as session:
            await RecordingRepository(session).add(
                Recording(
                    id=recording_id,
                    organization_id=organization_id,
                    job_id=self.job_id,
                    call_id=ctx.call_id,
                    node_id=node_id[:100] if node_id else None,
                    storage_key=key,
                    content_type="audio/wav",
                    duration_ms=duration_ms,
                    size_bytes=stored.size,
                )
            )
        return recording_id


async def get(session: AsyncSession, organization_id: str, recording_id: str) -> Recording:
    recording = await RecordingRepository(session).get(organization_id, recording_id)
    if recording is None:
        raise NotFoundError("Recording not found", code="RECORDING_NOT_FOUND")
    return recording


async def page(
    session: AsyncSession, organization_id: str, params: PageParams, job_id: str | None
) -> tuple[Sequence[Recording], int]:
    return await RecordingRepository(session).page(organization_id, params, job_id)


async def delete(
    session: AsyncSession, storage: Storage, organization_id: str, recording_id: str
) -> None:
    recording = await get(session, organization_id, recording_id)
    await RecordingRepository(session).delete(recording)
    await asyncio.to_thread(storage.delete, recording.storage_key)
