from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.dictionaries.models import (
    SYSTEM_LANGUAGES,
    Dictionary,
    DictionaryEntry,
    system_dictionary_id,
)
from ringcast.kit.pagination import PageParams
from ringcast.kit.repository import paginate

SORTABLE = {
    "name": Dictionary.name,
    "language": Dictionary.language,
    "createdAt": Dictionary.created_at,
}


def _visible(organization_id: str):  # type: ignore[no-untyped-def]
    return or_(Dictionary.organization_id == organization_id, Dictionary.is_system.is_(True))


class DictionaryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_visible(self, organization_id: str, dictionary_id: str) -> Dictionary | None:
        result = await self.session.execute(
            select(Dictionary).where(Dictionary.id == dictionary_id, _visible(organization_id))
        )
        return result.scalar_one_or_none()

    async def existing_ids(self, organization_id: str, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        result = await self.session.execute(
            select(Dictionary.id).where(Dictionary.id.in_(list(ids)), _visible(organization_id))
        )
        return set(result.scalars())

    async def add(self, dictionary: Dictionary) -> Dictionary:
        self.session.add(dictionary)
        await self.session.flush()
        return dictionary

    async def delete(self, dictionary: Dictionary) -> None:
        await self.session.delete(dictionary)
        await self.session.flush()

    async def page(
        self, organization_id: str, params: PageParams, sort: str
    ) -> tuple[Sequence[Dictionary], int]:
        stmt = select(Dictionary).where(_visible(organization_id))
        if params.search:
            stmt = stmt.where(Dictionary.name.ilike(f"%{params.search}%"))
        return await paginate(self.session, stmt, params, SORTABLE[sort], Dictionary.id)

    async def entry_counts(self, ids: Sequence[str]) -> dict[str, int]:
        if not ids:
            return {}
        result = await self.session.execute(
            select(DictionaryEntry.dictionary_id, func.count())
            .where(DictionaryEntry.dictionary_id.in_(list(ids)))
            .group_by(DictionaryEntry.dictionary_id)
        )
        return {did: int(n) for did, n in result.all()}

    async def entries(self, dictionary_id: str) -> Sequence[DictionaryEntry]:
        result = await self.session.execute(
            select(DictionaryEntry)
            .where(DictionaryEntry.dictionary_id == dictionary_id)
            .order_by(DictionaryEntry.key)
        )
        return result.scalars().all()

    async def entry(self, dictionary_id: str, key: str) -> DictionaryEntry | None:
        result = await self.session.execute(
            select(DictionaryEntry).where(
                DictionaryEntry.dictionary_id == dictionary_id, DictionaryEntry.key == key
            )
        )
        return result.scalar_one_or_none()

    async def add_entry(self, entry: DictionaryEntry) -> DictionaryEntry:
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def delete_entry(self, dictionary_id: str, key: str) -> None:
        await self.session.execute(
            delete(DictionaryEntry).where(
                DictionaryEntry.dictionary_id == dictionary_id, DictionaryEntry.key == key
            )
        )


async def ensure_system_dictionaries(session: AsyncSession) -> None:
    """(Re)create the built-in dictionary rows the 0004 migration seeds."""
    present = set(
        (
            await session.execute(select(Dictionary.id).where(Dictionary.is_system.is_(True)))
        ).scalars()
    )
    names = {"ar": "Arabic (system)", "en": "English (system)", "fr": "French (system)"}
    for language in SYSTEM_LANGUAGES:
        if system_dictionary_id(language) not in present:
            session.add(
                Dictionary(
                    id=system_dictionary_id(language),
                    organization_id=None,
                    name=names[language],
                    description="Built-in clips for numbers, dates and common words",
                    language=language,
                    is_system=True,
                )
            )
    await session.flush()
