"""Trunk logic.

The password is stored in clear: SIP digest authentication needs the plain
secret (or HA1 = MD5(user:realm:password), which is password-equivalent and
needs the realm up front). Sealing it with a key from the settings
(`RINGCAST_SECRET_KEY`, Fernet) is the next step; it is never returned.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.errors import NotFoundError
from ringcast.kit.pagination import PageParams
from ringcast.trunks.models import Trunk
from ringcast.trunks.repository import SORTABLE, TrunkRepository
from ringcast.trunks.schemas import Trunk as TrunkOut
from ringcast.trunks.schemas import TrunkCreate, TrunkUpdate


def to_schema(trunk: Trunk) -> TrunkOut:
    fields = {c: getattr(trunk, c) for c in TrunkOut.model_fields if c in _COLUMNS}
    return TrunkOut.model_validate(
        {**fields, "has_password": bool(trunk.password), "sip_register": trunk.register}
    )


_COLUMNS = frozenset(Trunk.__table__.columns.keys())


def _columns(values: dict[str, object]) -> dict[str, object]:
    if "sip_register" in values:
        values["register"] = values.pop("sip_register")
    return values


async def get(session: AsyncSession, organization_id: str, trunk_id: str) -> Trunk:
    trunk = await TrunkRepository(session).get(organization_id, trunk_id)
    if trunk is None:
        raise NotFoundError("Trunk not found", code="TRUNK_NOT_FOUND")
    return trunk


async def create(session: AsyncSession, organization_id: str, data: TrunkCreate) -> Trunk:
    repo = TrunkRepository(session)
    # the organization's first trunk is its default
    is_default = data.is_default or not await repo.all(organization_id)
    trunk = Trunk(
        organization_id=organization_id, **_columns(data.model_dump(exclude={"is_default"}))
    )
    trunk.is_default = is_default
    await repo.add(trunk)
    if is_default:
        await repo.clear_default(organization_id, except_id=trunk.id)
    return trunk


async def update(
    session: AsyncSession, organization_id: str, trunk_id: str, data: TrunkUpdate
) -> Trunk:
    trunk = await get(session, organization_id, trunk_id)
    changes = _columns(data.model_dump(exclude_unset=True))
    for name, value in changes.items():
        if value is None and name not in ("username", "password", "from_domain"):
            continue  # required columns: null means "unchanged"
        setattr(trunk, name, value)
    await session.flush()
    if changes.get("is_default"):
        await TrunkRepository(session).clear_default(organization_id, except_id=trunk.id)
    return trunk


async def delete(session: AsyncSession, organization_id: str, trunk_id: str) -> None:
    await TrunkRepository(session).delete(await get(session, organization_id, trunk_id))


async def page(
    session: AsyncSession, organization_id: str, params: PageParams
) -> tuple[Sequence[Trunk], int]:
    sort = params.checked_sort(list(SORTABLE), "createdAt")
    return await TrunkRepository(session).page(organization_id, params, sort)
