from __future__ import annotations

import re
from collections.abc import Sequence
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.audiofiles import ingest
from ringcast.dictionaries import system
from ringcast.dictionaries.models import Dictionary, DictionaryEntry
from ringcast.dictionaries.repository import SORTABLE, DictionaryRepository
from ringcast.dictionaries.schemas import DictionaryCreate, DictionaryUpdate
from ringcast.errors import ForbiddenError, NotFoundError, ValidationFailedError
from ringcast.flows.references import ensure_unused
from ringcast.kit.pagination import PageParams
from ringcast.storage.base import Storage

KEY_RE = re.compile(r"^[^\s/\\]{1,64}$")


async def get(session: AsyncSession, organization_id: str, dictionary_id: str) -> Dictionary:
    found = await DictionaryRepository(session).get_visible(organization_id, dictionary_id)
    if found is None:
        raise NotFoundError(f"Dictionary {dictionary_id} not found", code="DICTIONARY_NOT_FOUND")
    return found


async def get_own(session: AsyncSession, organization_id: str, dictionary_id: str) -> Dictionary:
    found = await get(session, organization_id, dictionary_id)
    if found.is_system:
        raise ForbiddenError(
            "System dictionaries are read-only; create your own", code="DICTIONARY_READ_ONLY"
        )
    return found


async def create(session: AsyncSession, organization_id: str, data: DictionaryCreate) -> Dictionary:
    row = Dictionary(
        organization_id=organization_id,
        name=data.name,
        description=data.description,
        language=data.language,
        is_system=False,
    )
    return await DictionaryRepository(session).add(row)


async def update(
    session: AsyncSession, organization_id: str, dictionary_id: str, data: DictionaryUpdate
) -> Dictionary:
    row = await get_own(session, organization_id, dictionary_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is not None or name == "description":
            setattr(row, name, value)
    await session.flush()
    return row


async def delete(
    session: AsyncSession, storage: Storage, organization_id: str, dictionary_id: str
) -> None:
    row = await get_own(session, organization_id, dictionary_id)
    await ensure_unused(session, organization_id, "dictionary", dictionary_id)
    repo = DictionaryRepository(session)
    entries = await repo.entries(row.id)
    await repo.delete(row)
    for entry in entries:
        ingest.discard(storage, entry.original_key, entry.telephony_key)


async def page(
    session: AsyncSession, organization_id: str, params: PageParams
) -> tuple[Sequence[Dictionary], int, dict[str, int]]:
    sort = params.checked_sort(list(SORTABLE), "createdAt")
    repo = DictionaryRepository(session)
    rows, total = await repo.page(organization_id, params, sort)
    counts = await repo.entry_counts([r.id for r in rows if not r.is_system])
    for r in rows:
        if r.is_system:
            counts[r.id] = len(system.entries(r.language))
    return rows, total, counts


async def entry_count(session: AsyncSession, row: Dictionary) -> int:
    if row.is_system:
        return len(system.entries(row.language))
    return (await DictionaryRepository(session).entry_counts([row.id])).get(row.id, 0)


async def entries(session: AsyncSession, row: Dictionary) -> Sequence[DictionaryEntry]:
    return await DictionaryRepository(session).entries(row.id)


async def put_entry(
    session: AsyncSession,
    storage: Storage,
    organization_id: str,
    dictionary_id: str,
    key: str,
    file: BinaryIO,
    declared_type: str | None,
    limits: ingest.AudioLimits,
) -> DictionaryEntry:
    row = await get_own(session, organization_id, dictionary_id)
    if not KEY_RE.match(key):
        raise ValidationFailedError.single(
            "key", "invalid_key", "key must be 1-64 characters without spaces or slashes"
        )
    stored = await ingest.ingest_upload(
        file, declared_type, storage, f"{organization_id}/dictionaries/{row.id}", limits
    )
    repo = DictionaryRepository(session)
    entry = await repo.entry(row.id, key)
    old_keys: tuple[str, ...] = ()
    if entry is None:
        entry = DictionaryEntry(dictionary_id=row.id, key=key)
    else:
        old_keys = (entry.original_key, entry.telephony_key)
    entry.duration_ms = stored.duration_ms
    entry.file_size = stored.file_size
    entry.checksum = stored.checksum
    entry.original_key = stored.original_key
    entry.telephony_key = stored.telephony_key
    await repo.add_entry(entry)
    ingest.discard(storage, *old_keys)
    return entry


async def get_entry(
    session: AsyncSession, organization_id: str, dictionary_id: str, key: str
) -> tuple[Dictionary, DictionaryEntry | None]:
    row = await get(session, organization_id, dictionary_id)
    if row.is_system:
        if key not in system.entries(row.language):
            raise NotFoundError(f"No entry {key!r}", code="DICTIONARY_ENTRY_NOT_FOUND")
        return row, None
    entry = await DictionaryRepository(session).entry(row.id, key)
    if entry is None:
        raise NotFoundError(f"No entry {key!r}", code="DICTIONARY_ENTRY_NOT_FOUND")
    return row, entry


async def delete_entry(
    session: AsyncSession, storage: Storage, organization_id: str, dictionary_id: str, key: str
) -> None:
    row = await get_own(session, organization_id, dictionary_id)
    repo = DictionaryRepository(session)
    entry = await repo.entry(row.id, key)
    if entry is None:
        raise NotFoundError(f"No entry {key!r}", code="DICTIONARY_ENTRY_NOT_FOUND")
    await repo.delete_entry(row.id, key)
    ingest.discard(storage, entry.original_key, entry.telephony_key)
