from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Query, UploadFile
from fastapi.responses import FileResponse, Response

from ringcast.api.deps import PrincipalDep, SessionDep, StateDep
from ringcast.api.openapi import file_responses
from ringcast.api.route import domain_router
from ringcast.audiofiles import service
from ringcast.audiofiles.ingest import audio_limits
from ringcast.audiofiles.models import AudioFile as AudioFileRow
from ringcast.audiofiles.schemas import AudioFile, AudioFileUpdate, StoredFile, UsageType
from ringcast.errors import ValidationFailedError
from ringcast.kit.pagination import Page, PageDep
from ringcast.kit.schemas import NO_NUL

router = domain_router("/api/audio-management", "Audio")


def to_schema(row: AudioFileRow) -> AudioFile:
    return AudioFile(
        id=row.id,
        title=row.title,
        description=row.description,
        usage_type=UsageType(row.usage_type),
        tags=list(row.tags),
        duration_seconds=round(row.duration_ms / 1000, 3),
        sample_rate=row.sample_rate,
        channels=row.channels,
        bit_depth=row.bit_depth,
        original_file_name=row.original_file_name,
        created_at=row.created_at,
        updated_at=row.updated_at,
        file=StoredFile(
            id=row.file_id,
            name=row.original_file_name or row.file_id,
            content_type=row.content_type,
            file_size=row.file_size,
            checksum=row.checksum,
        ),
    )


def _tags(raw: str | None) -> list[str]:
    if not raw:
        return []
    raw = raw.strip()
    if raw.startswith("["):
        import json

        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise ValidationFailedError.single("tags", "json", "tags is not valid JSON") from exc
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise ValidationFailedError.single("tags", "type", "tags must be a list of strings")
        return value
    return [t.strip() for t in raw.split(",") if t.strip()]


@router.post("/upload", status_code=201, response_model=AudioFile)
async def upload_audio(
    principal: PrincipalDep,
    session: SessionDep,
    state: StateDep,
    file: Annotated[UploadFile, File(description="WAV, MP3 or OGG")],
    title: Annotated[str | None, Form(max_length=200, pattern=NO_NUL)] = None,
    description: Annotated[str | None, Form(max_length=2000, pattern=NO_NUL)] = None,
    usage_type: Annotated[UsageType, Form(alias="usageType")] = UsageType.other,
    tags: Annotated[
        str | None, Form(description="comma-separated or a JSON list", pattern=NO_NUL)
    ] = None,
) -> AudioFile:
    row = await service.upload(
        session,
        state.storage,
        principal.organization_id,
        file.file,
        file_name=file.filename,
        declared_type=file.content_type,
        title=title,
        description=description,
        usage_type=usage_type,
        tags=_tags(tags),
        limits=audio_limits(state.settings, usage_type.value),
    )
    return to_schema(row)


@router.get("", response_model=Page[AudioFile])
async def list_audio(
    principal: PrincipalDep, session: SessionDep, params: PageDep
) -> Page[AudioFile]:
    rows, total = await service.page(session, principal.organization_id, params)
    return Page.build([to_schema(r) for r in rows], total, params)


@router.get("/{audio_id}", response_model=AudioFile)
async def get_audio(audio_id: str, principal: PrincipalDep, session: SessionDep) -> AudioFile:
    return to_schema(await service.get(session, principal.organization_id, audio_id))


@router.get(
    "/{audio_id}/stream",
    response_class=Response,
    responses=file_responses("The audio: telephony WAV, or the original upload", "audio/*"),
)
async def stream_audio(
    audio_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    state: StateDep,
    variant: Annotated[str, Query(pattern="^(telephony|original)$")] = "telephony",
) -> Response:
    row = await service.get(session, principal.organization_id, audio_id)
    key = row.telephony_key if variant == "telephony" else row.original_key
    media_type = "audio/wav" if variant == "telephony" else row.content_type
    path = state.storage.path_for(key)
    if path is not None:
        return FileResponse(path, media_type=media_type)
    return Response(state.storage.get(key), media_type=media_type)


@router.put("/{audio_id}", response_model=AudioFile)
async def update_audio(
    audio_id: str, body: AudioFileUpdate, principal: PrincipalDep, session: SessionDep
) -> AudioFile:
    return to_schema(await service.update(session, principal.organization_id, audio_id, body))


@router.delete("/{audio_id}", status_code=204, response_class=Response)
async def delete_audio(
    audio_id: str, principal: PrincipalDep, session: SessionDep, state: StateDep
) -> Response:
    await service.delete(session, state.storage, principal.organization_id, audio_id)
    return Response(status_code=204)
