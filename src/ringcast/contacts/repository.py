"""Every contacts / custom-attributes / imports query; all filtered by organization."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, or_, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.contacts.models import Contact, ContactImport, CustomAttribute
from ringcast.db.dialect import (
    Excluded,
    driver_constant,
    in_values,
    in_values_param,
    json_merge_patch,
    upsert,
)
from ringcast.kit.repository import like_pattern

# Bind-parameter budget per statement: SQLite allows 32766, asyncpg 32767.
_IN_CHUNK = 5000

SORT_COLUMNS: dict[str, Any] = {
    "firstName": Contact.first_name,
    "lastName": Contact.last_name,
    "primaryPhone": Contact.primary_phone,
    "primaryEmail": Contact.primary_email,
    "createdAt": Contact.created_at,
}
_SEARCHED = (
    Contact.first_name,
    Contact.last_name,
    Contact.full_name,
    Contact.primary_phone,
    Contact.primary_email,
)


def _chunks(items: Sequence[str], size: int = _IN_CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ContactRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _live(self, organization_id: str) -> list[ColumnElement[bool]]:
        return [Contact.organization_id == organization_id, Contact.deleted_at.is_(None)]

    async def get(self, organization_id: str, contact_id: str) -> Contact | None:
        result = await self.session.execute(
            select(Contact).where(Contact.id == contact_id, *self._live(organization_id))
        )
        return result.scalar_one_or_none()

    async def list(
        self,
        organization_id: str,
        *,
        search: str | None,
        sort_by: str,
        descending: bool,
        offset: int,
        limit: int,
        audience_id: str | None = None,
    ) -> tuple[Sequence[Contact], int]:
        where = self._live(organization_id)
        if search:
            pattern = like_pattern(search)
            where.append(or_(*(col.ilike(pattern, escape="\\") for col in _SEARCHED)))
        if audience_id is not None:
            from ringcast.audiences.models import AudienceMember

            where.append(
                Contact.id.in_(
                    select(AudienceMember.contact_id).where(
                        AudienceMember.audience_id == audience_id
                    )
                )
            )
        column = SORT_COLUMNS[sort_by]
        order = [column.desc() if descending else column.asc(), Contact.id.asc()]
        total = (
            await self.session.execute(select(func.count()).select_from(Contact).where(*where))
        ).scalar_one()
        rows = await self.session.execute(
            select(Contact).where(*where).order_by(*order).offset(offset).limit(limit)
        )
        return rows.scalars().all(), total

    async def phone_owner(self, organization_id: str, phone: str) -> str | None:
        """The id of the live contact with this phone, if any."""
        result = await self.session.execute(
            select(Contact.id).where(Contact.primary_phone == phone, *self._live(organization_id))
        )
        return result.scalar_one_or_none()

    async def add(self, contact: Contact) -> Contact:
        self.session.add(contact)
        await self.session.flush()
        return contact

    async def existing_by_phone(
        self, organization_id: str, phones: Sequence[str]
    ) -> dict[str, tuple[str, dict[str, Any] | None]]:
        """phone → (id, stored customAttributes) for the live contacts among `phones`."""
        if not phones:
            return {}
        # a Core statement on the session's connection: rows as tuples, no ORM loading
        connection = await self.session.connection()
        result = await connection.execute(
            select(Contact.primary_phone, Contact.id, Contact.custom_attributes).where(
                in_values(Contact.primary_phone, phones, connection.dialect.name),
                *self._live(organization_id),
            )
        )
        return {phone: (contact_id, custom) for phone, contact_id, custom in result.all()}

    async def live_ids(self, organization_id: str, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(ids):
            result = await self.session.execute(
                select(Contact.id).where(Contact.id.in_(chunk), *self._live(organization_id))
            )
            found.update(result.scalars())
        return found

    async def upsert(
        self,
        rows: Sequence[Mapping[str, Any]],
        columns: Sequence[str],
        constants: Mapping[str, Any],
        *,
        merge: bool = False,
    ) -> None:
        """INSERT … ON CONFLICT (org, phone) WHERE live DO UPDATE for all `rows`
        in one driver call (executemany). Every row has exactly `columns`;
        `constants` (organization, timestamps) are the same for all rows. The
        columns other than id/organization/phone/createdAt overwrite an existing
        contact's; with `merge` (only where `can_merge_custom`) the database
        merges `custom_attributes` into the stored ones instead
        (`db.dialect.json_merge_patch`), with the row's `CUSTOM_PATCH` when it
        has one (what was sent, when that is not what a new contact stores)."""
        if not rows:
            return
        connection = await self.session.connection()
        plan = _upsert_plan(connection.dialect, tuple(columns), tuple(constants), merge)
        fixed = {name: plan.constant(name, value) for name, value in constants.items()}
        processed = [(n, p) for n in columns if (p := plan.processors.get(n)) is not None]
        # dict merge and itemgetter run in C: only the few processed columns
        # (JSON) cost Python per row
        params = []
        for row in rows:
            values = {**fixed, **row}
            for name, process in processed:
                values[name] = process(values[name])
            params.append(plan.order_of(values))
        await connection.exec_driver_sql(plan.sql, params)

    async def count_ids(self, ids: Sequence[str]) -> int:
        """How many of `ids` are contacts' (primary-key lookups). No organization
        filter: on the organization's index the planner would read all of its
        contacts, and an id just made for a new contact is no other's."""
        connection = await self.session.connection()
        result = await connection.exec_driver_sql(
            _count_ids_sql(connection.dialect), (in_values_param(ids, connection.dialect.name),)
        )
        return int(result.scalar_one())


CUSTOM_PATCH = "custom_patch"
"""An upsert row's extra key: the customAttributes sent, merged into a stored
contact's by the database (`ContactRepository.upsert(merge=True)`)."""


@lru_cache(maxsize=8)
def can_merge_custom(dialect: Dialect) -> bool:
    """Whether the database merges custom attributes inside the upsert."""
    column = Contact.__table__.c.custom_attributes
    return json_merge_patch(dialect.name, column, column) is not None


@lru_cache(maxsize=8)
def _count_ids_sql(dialect: Dialect) -> str:
    """`SELECT count(*)` of the contacts among a list of ids (bound as `in_values_param`)."""
    stmt = select(func.count()).select_from(Contact).where(in_values(Contact.id, [], dialect.name))
    return str(stmt.compile(dialect=dialect))


@dataclass(frozen=True, slots=True)
class _UpsertPlan:
    """The compiled upsert for one dialect and column set, and the per-column
    bind processors SQLAlchemy would apply (JSON encoding, UTC datetimes)."""

    dialect: str
    sql: str
    order: tuple[str, ...]
    processors: Mapping[str, Callable[[Any], Any]]
    # column → value map → the statement's parameter tuple (an itemgetter)
    order_of: Callable[[Mapping[str, Any]], tuple[Any, ...]]

    def constant(self, name: str, value: Any) -> Any:
        """A value every row binds, converted once: the column's bind processor,
        then the driver's own adapter (timestamps: not once per row)."""
        process = self.processors.get(name)
        return driver_constant(self.dialect, process(value) if process is not None else value)


@lru_cache(maxsize=64)
def _upsert_plan(
    dialect: Dialect, columns: tuple[str, ...], constants: tuple[str, ...], merge: bool
) -> _UpsertPlan:
    # Compiling once and handing the driver plain tuples skips SQLAlchemy's
    # per-row parameter processing, the largest cost after the insert itself.
    table = Contact.__table__
    custom_type = table.c.custom_attributes.type
    names = tuple(n for n in (*columns, *constants) if n != CUSTOM_PATCH)
    keep = {"id", "organization_id", "primary_phone", "created_at"}

    def update(excluded: Excluded) -> dict[str, Any]:
        out: dict[str, Any] = {n: excluded[n] for n in names if n not in keep}
        if merge and "custom_attributes" in out:
            patch = (
                bindparam(CUSTOM_PATCH, type_=custom_type)
                if CUSTOM_PATCH in columns
                else excluded.custom_attributes
            )
            out["custom_attributes"] = json_merge_patch(
                dialect.name, table.c.custom_attributes, patch
            )
        return out

    stmt = upsert(
        Contact,
        dialect.name,
        conflict=["organization_id", "primary_phone"],
        conflict_where=Contact.deleted_at.is_(None),
        update=update,
    ).values({name: bindparam(name, type_=table.c[name].type) for name in names})
    compiled = stmt.compile(dialect=dialect)
    order = tuple(compiled.positiontup or ())
    processors: dict[str, Callable[[Any], Any]] = {}
    for name in (*names, CUSTOM_PATCH):
        type_ = custom_type if name == CUSTOM_PATCH else table.c[name].type
        process = type_.bind_processor(dialect)
        if process is not None:
            processors[name] = process
    return _UpsertPlan(dialect.name, str(compiled), order, processors, itemgetter(*order))


class AttributeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def live(self, organization_id: str) -> Sequence[CustomAttribute]:
        result = await self.session.execute(
            select(CustomAttribute)
            .where(
                CustomAttribute.organization_id == organization_id,
                CustomAttribute.deleted_at.is_(None),
            )
            .order_by(CustomAttribute.created_at, CustomAttribute.id)
        )
        return result.scalars().all()

    async def live_types(self, organization_id: str) -> list[tuple[str, str]]:
        """(name, type) of the live attributes: two columns, no ORM objects (every
        upsert request reads them)."""
        result = await self.session.execute(
            select(CustomAttribute.name, CustomAttribute.type).where(
                CustomAttribute.organization_id == organization_id,
                CustomAttribute.deleted_at.is_(None),
            )
        )
        return [(name, type_) for name, type_ in result.all()]

    async def get(self, organization_id: str, attribute_id: str) -> CustomAttribute | None:
        result = await self.session.execute(
            select(CustomAttribute).where(
                CustomAttribute.id == attribute_id,
                CustomAttribute.organization_id == organization_id,
                CustomAttribute.deleted_at.is_(None),
            )
        )
        return result.scalar_one_or_none()

    async def names_like(self, organization_id: str, base: str) -> set[str]:
        """Every slug (deleted ones too) that `base` could collide with."""
        result = await self.session.execute(
            select(CustomAttribute.name).where(
                CustomAttribute.organization_id == organization_id,
                CustomAttribute.name.like(f"{like_pattern(base)[1:-1]}%", escape="\\"),
            )
        )
        return set(result.scalars())

    async def add(self, attribute: CustomAttribute) -> CustomAttribute:
        self.session.add(attribute)
        await self.session.flush()
        return attribute


class ImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: str, import_id: str) -> ContactImport | None:
        result = await self.session.execute(
            select(ContactImport).where(
                ContactImport.id == import_id, ContactImport.organization_id == organization_id
            )
        )
        return result.scalar_one_or_none()

    async def add(self, record: ContactImport) -> ContactImport:
        self.session.add(record)
        await self.session.flush()
        return record

    async def set_fields(
        self,
        organization_id: str,
        import_id: str,
        *,
        only_if_status: Sequence[str] | None = None,
        **values: Any,
    ) -> None:
        stmt = update(ContactImport).where(
            ContactImport.id == import_id, ContactImport.organization_id == organization_id
        )
        if only_if_status is not None:
            stmt = stmt.where(ContactImport.status.in_(only_if_status))
        await self.session.execute(stmt.values(**values))
