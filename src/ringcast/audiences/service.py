"""Audiences and their membership."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.audiences import schemas
from ringcast.audiences.models import Audience
from ringcast.audiences.repository import AudienceRepository
from ringcast.contacts.repository import ContactRepository
from ringcast.errors import NotFoundError
from ringcast.kit.pagination import PageParams

SORTS = ("name", "createdAt")


def not_found(audience_id: str) -> NotFoundError:
    return NotFoundError(f"Audience {audience_id} not found", code="AUDIENCE_NOT_FOUND")


async def to_schemas(
    session: AsyncSession, audiences: Sequence[Audience]
) -> list[schemas.Audience]:
    counts = await AudienceRepository(session).counts([a.id for a in audiences])
    return [
        schemas.Audience(
            id=a.id,
            organization_id=a.organization_id,
            name=a.name,
            description=a.description,
            contact_count=counts.get(a.id, 0),
            created_at=a.created_at,
            updated_at=a.updated_at,
        )
        for a in audiences
    ]


async def get(session: AsyncSession, organization_id: str, audience_id: str) -> Audience:
    audience = await AudienceRepository(session).get(organization_id, audience_id)
    if audience is None:
        raise not_found(audience_id)
    return audience


async def create(
    session: AsyncSession, organization_id: str, data: schemas.AudienceCreate
) -> Audience:
    audience = Audience(
        organization_id=organization_id, name=data.name, description=data.description
    )
    return await AudienceRepository(session).add(audience)


async def update(
    session: AsyncSession, organization_id: str, audience_id: str, data: schemas.AudienceUpdate
) -> Audience:
    audience = await get(session, organization_id, audience_id)
    if data.name is not None:
        audience.name = data.name
    if "description" in data.model_fields_set:
        audience.description = data.description
    await session.flush()
    return audience


async def delete(session: AsyncSession, organization_id: str, audience_id: str) -> Audience:
    audience = await get(session, organization_id, audience_id)
    await AudienceRepository(session).delete(audience)
    return audience


async def list_page(
    session: AsyncSession, organization_id: str, params: PageParams
) -> tuple[Sequence[Audience], int]:
    sort = params.checked_sort(SORTS, "createdAt")
    return await AudienceRepository(session).list(
        organization_id,
        search=params.search,
        sort_column=sort,
        descending=params.sort_order == "desc",
        offset=params.offset,
        limit=params.limit,
    )


async def _checked_contacts(
    session: AsyncSession, organization_id: str, contact_ids: Sequence[str]
) -> list[str]:
    """The distinct ids, or a 404 listing those that are not the organization's
    live contacts (nothing is applied then)."""
    wanted = list(dict.fromkeys(contact_ids))
    found = await ContactRepository(session).live_ids(organization_id, wanted)
    missing = [c for c in wanted if c not in found]
    if missing:
        raise NotFoundError(
            f"{len(missing)} contact(s) not found: {', '.join(missing[:20])}",
            code="CONTACT_NOT_FOUND",
            extra={"missingContactIds": missing},
        )
    return wanted


async def add_contacts(
    session: AsyncSession, organization_id: str, audience_id: str, contact_ids: Sequence[str]
) -> schemas.MembershipResult:
    audience = await get(session, organization_id, audience_id)
    wanted = await _checked_contacts(session, organization_id, contact_ids)
    repo = AudienceRepository(session)
    already = await repo.member_ids(audience.id, wanted)
    await repo.add_members(audience.id, [c for c in wanted if c not in already])
    count = (await repo.counts([audience.id])).get(audience.id, 0)
    return schemas.MembershipResult(
        audience_id=audience.id, added=len(wanted) - len(already), contact_count=count
    )


async def add_members_unchecked(
    session: AsyncSession, audience_id: str, contact_ids: Sequence[str]
) -> None:
    """For the importer, whose ids come from its own upsert in this organization."""
    await AudienceRepository(session).add_members(audience_id, contact_ids)


async def remove_contacts(
    session: AsyncSession, organization_id: str, audience_id: str, contact_ids: Sequence[str]
) -> schemas.MembershipResult:
    audience = await get(session, organization_id, audience_id)
    wanted = await _checked_contacts(session, organization_id, contact_ids)
    repo = AudienceRepository(session)
    removed = await repo.remove_members(audience.id, wanted)
    count = (await repo.counts([audience.id])).get(audience.id, 0)
    return schemas.MembershipResult(audience_id=audience.id, removed=removed, contact_count=count)
