from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, UploadFile
from fastapi.responses import FileResponse, Response

from ringcast.api.deps import PrincipalDep, SessionDep, StateDep
from ringcast.api.openapi import file_responses
from ringcast.api.route import domain_router
from ringcast.audio.clip import Clip
from ringcast.audiofiles.ingest import DICTIONARY_USAGE, audio_limits
from ringcast.dictionaries import service, system
from ringcast.dictionaries.models import Dictionary as DictionaryRow
from ringcast.dictionaries.models import DictionaryEntry as EntryRow
from ringcast.dictionaries.schemas import (
    Dictionary,
    DictionaryCreate,
    DictionaryEntry,
    DictionaryEntryList,
    DictionaryUpdate,
)
from ringcast.kit.pagination import Page, PageDep
from ringcast.kit.schemas import NO_NUL

router = domain_router("/api/dictionaries", "Dictionaries")


def to_schema(row: DictionaryRow, entry_count: int) -> Dictionary:
    return Dictionary.model_validate(
        {
            "id": row.id,
            "organization_id": row.organization_id,
            "name": row.name,
            "description": row.description,
            "language": row.language,
            "is_system": row.is_system,
            "entry_count": entry_count,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


def entry_schema(entry: EntryRow) -> DictionaryEntry:
    return DictionaryEntry.model_validate(entry)


@router.get("", response_model=Page[Dictionary])
async def list_dictionaries(
    principal: PrincipalDep, session: SessionDep, params: PageDep
) -> Page[Dictionary]:
    rows, total, counts = await service.page(session, principal.organization_id, params)
    return Page.build([to_schema(r, counts.get(r.id, 0)) for r in rows], total, params)


@router.post("", status_code=201, response_model=Dictionary)
async def create_dictionary(
    body: DictionaryCreate, principal: PrincipalDep, session: SessionDep
) -> Dictionary:
    return to_schema(await service.create(session, principal.organization_id, body), 0)


@router.get("/{dictionary_id}", response_model=Dictionary)
async def get_dictionary(
    dictionary_id: str, principal: PrincipalDep, session: SessionDep
) -> Dictionary:
    row = await service.get(session, principal.organization_id, dictionary_id)
    return to_schema(row, await service.entry_count(session, row))


@router.put("/{dictionary_id}", response_model=Dictionary)
async def update_dictionary(
    dictionary_id: str, body: DictionaryUpdate, principal: PrincipalDep, session: SessionDep
) -> Dictionary:
    row = await service.update(session, principal.organization_id, dictionary_id, body)
    return to_schema(row, await service.entry_count(session, row))


@router.delete("/{dictionary_id}", status_code=204, response_class=Response)
async def delete_dictionary(
    dictionary_id: str, principal: PrincipalDep, session: SessionDep, state: StateDep
) -> Response:
    await service.delete(session, state.storage, principal.organization_id, dictionary_id)
    return Response(status_code=204)


@router.post("/{dictionary_id}/entries", status_code=201, response_model=DictionaryEntry)
async def put_entry(
    dictionary_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    state: StateDep,
    file: Annotated[UploadFile, File()],
    key: Annotated[str, Form(min_length=1, max_length=64, pattern=NO_NUL)],
) -> DictionaryEntry:
    entry = await service.put_entry(
        session,
        state.storage,
        principal.organization_id,
        dictionary_id,
        key.strip(),
        file.file,
        file.content_type,
        audio_limits(state.settings, DICTIONARY_USAGE),
    )
    return entry_schema(entry)


@router.get("/{dictionary_id}/entries", response_model=DictionaryEntryList)
async def list_entries(
    dictionary_id: str, principal: PrincipalDep, session: SessionDep
) -> DictionaryEntryList:
    row = await service.get(session, principal.organization_id, dictionary_id)
    if row.is_system:
        entries = [
            DictionaryEntry(key=k, duration_ms=ms)
            for k, ms in sorted(system.entries(row.language).items())
        ]
    else:
        entries = [entry_schema(e) for e in await service.entries(session, row)]
    return DictionaryEntryList(dictionary_id=row.id, entries=entries)


@router.get("/{dictionary_id}/entries/{key}", response_model=DictionaryEntry)
async def get_entry(
    dictionary_id: str, key: str, principal: PrincipalDep, session: SessionDep
) -> DictionaryEntry:
    row, entry = await service.get_entry(session, principal.organization_id, dictionary_id, key)
    if entry is None:
        return DictionaryEntry(key=key, duration_ms=system.entries(row.language)[key])
    return entry_schema(entry)


@router.get(
    "/{dictionary_id}/entries/{key}/stream",
    response_class=Response,
    responses=file_responses("The entry's telephony WAV", "audio/wav"),
)
async def stream_entry(
    dictionary_id: str, key: str, principal: PrincipalDep, session: SessionDep, state: StateDep
) -> Response:
    row, entry = await service.get_entry(session, principal.organization_id, dictionary_id, key)
    if entry is None:
        data, encoding = system.clip_bytes(row.language, key)
        clip = Clip.from_alaw(data) if encoding == "alaw" else Clip.from_ulaw(data)
        return Response(clip.to_wav(), media_type="audio/wav")
    path = state.storage.path_for(entry.telephony_key)
    if path is not None:
        return FileResponse(path, media_type="audio/wav")
    return Response(state.storage.get(entry.telephony_key), media_type="audio/wav")


@router.delete("/{dictionary_id}/entries/{key}", status_code=204, response_class=Response)
async def delete_entry(
    dictionary_id: str, key: str, principal: PrincipalDep, session: SessionDep, state: StateDep
) -> Response:
    await service.delete_entry(
        session, state.storage, principal.organization_id, dictionary_id, key
    )
    return Response(status_code=204)
