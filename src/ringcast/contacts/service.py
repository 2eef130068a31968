"""Contacts and custom attributes: the logic behind the endpoints and the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.contacts import schemas
from ringcast.contacts.attribute_values import AttributeType, slugify, unique_slug
from ringcast.contacts.ids import ordered_id
from ringcast.contacts.models import Contact, CustomAttribute
from ringcast.contacts.repository import SORT_COLUMNS, AttributeRepository, ContactRepository
from ringcast.contacts.rows import check_custom, merge_custom, visible_custom
from ringcast.contacts.upsert import UpsertOutcome, upsert_contacts
from ringcast.db.base import utcnow
from ringcast.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    ValidationFailedError,
)
from ringcast.kit.pagination import PageParams


def not_found(contact_id: str) -> NotFoundError:
    return NotFoundError(f"Contact {contact_id} not found", code="CONTACT_NOT_FOUND")


def phone_exists(phone: str) -> ConflictError:
    return ConflictError(
        f"A contact with phone {phone} already exists",
        code="CONTACT_PHONE_EXISTS",
        extra={"primaryPhone": phone},
    )


async def attribute_types(session: AsyncSession, organization_id: str) -> dict[str, AttributeType]:
    """name → type of the organization's live custom attributes."""
    live = await AttributeRepository(session).live_types(organization_id)
    return {name: AttributeType(type_) for name, type_ in live}


def to_schema(contact: Contact, live_names: set[str] | frozenset[str]) -> schemas.Contact:
    return schemas.Contact(
        id=contact.id,
        organization_id=contact.organization_id,
        primary_phone=contact.primary_phone,
        first_name=contact.first_name,
        last_name=contact.last_name,
        full_name=contact.full_name,
        primary_email=contact.primary_email,
        address=contact.address,
        city=contact.city,
        state=contact.state,
        zip=contact.zip,
        occupation=contact.occupation,
        preferred_channel=contact.preferred_channel,
        gender=contact.gender,
        channels=contact.channels,
        custom_attributes=visible_custom(contact.custom_attributes, live_names),
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )


def _check_custom_or_raise(
    values: dict[str, Any] | None, attributes: dict[str, AttributeType]
) -> dict[str, Any] | None:
    if values is None:
        return None
    checked, issues = check_custom(values, attributes)
    if issues:
        raise ValidationFailedError("Invalid custom attributes", issues=issues)
    return checked


async def create_contact(
    session: AsyncSession, organization_id: str, data: schemas.ContactCreate
) -> tuple[Contact, dict[str, AttributeType]]:
    attributes = await attribute_types(session, organization_id)
    custom = merge_custom(None, _check_custom_or_raise(data.custom_attributes, attributes))
    repo = ContactRepository(session)
    if await repo.phone_owner(organization_id, data.primary_phone) is not None:
        raise phone_exists(data.primary_phone)
    values = data.model_dump(exclude={"custom_attributes", "gender"})
    contact = Contact(
        id=ordered_id(),
        organization_id=organization_id,
        gender=data.gender.value if data.gender else None,
        custom_attributes=custom,
        **values,
    )
    try:
        async with session.begin_nested():
            await repo.add(contact)
    except IntegrityError as exc:  # a concurrent create won the race
        raise phone_exists(data.primary_phone) from exc
    return contact, attributes


async def get_contact(session: AsyncSession, organization_id: str, contact_id: str) -> Contact:
    contact = await ContactRepository(session).get(organization_id, contact_id)
    if contact is None:
        raise not_found(contact_id)
    return contact


async def update_contact(
    session: AsyncSession, organization_id: str, contact_id: str, data: schemas.ContactUpdate
) -> tuple[Contact, dict[str, AttributeType]]:
    repo = ContactRepository(session)
    contact = await get_contact(session, organization_id, contact_id)
    attributes = await attribute_types(session, organization_id)
    sent = data.model_fields_set
    if "primary_phone" in sent:
        if data.primary_phone is None:
            raise ValidationFailedError.single(
                "primaryPhone", "required", "primaryPhone cannot be removed"
            )
        owner = await repo.phone_owner(organization_id, data.primary_phone)
        if owner is not None and owner != contact.id:
            raise phone_exists(data.primary_phone)
    if "custom_attributes" in sent:
        checked = _check_custom_or_raise(data.custom_attributes, attributes)
        contact.custom_attributes = merge_custom(contact.custom_attributes, checked)
    for name in sent - {"custom_attributes"}:
        value = getattr(data, name)
        setattr(contact, name, value.value if name == "gender" and value else value)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise phone_exists(str(data.primary_phone)) from exc
    return contact, attributes


async def delete_contact(session: AsyncSession, organization_id: str, contact_id: str) -> Contact:
    contact = await get_contact(session, organization_id, contact_id)
    contact.deleted_at = utcnow()
    await session.flush()
    return contact


async def list_contacts(
    session: AsyncSession,
    organization_id: str,
    params: PageParams,
    *,
    audience_id: str | None = None,
) -> tuple[Sequence[Contact], int]:
    sort_by = params.checked_sort(list(SORT_COLUMNS), "createdAt")
    return await ContactRepository(session).list(
        organization_id,
        search=params.search,
        sort_by=sort_by,
        descending=params.sort_order == "desc",
        offset=params.offset,
        limit=params.limit,
        audience_id=audience_id,
    )


async def upsert_batch(
    session: AsyncSession, organization_id: str, rows: list[Any]
) -> UpsertOutcome:
    if len(rows) > schemas.MAX_UPSERT_ROWS:
        raise PayloadTooLargeError(
            f"At most {schemas.MAX_UPSERT_ROWS} contacts per upsert request; got {len(rows)}. "
            "Split the batch, or use POST /api/contact/import for files.",
            code="UPSERT_TOO_MANY_ROWS",
            extra={"maxRows": schemas.MAX_UPSERT_ROWS},
        )
    attributes = await attribute_types(session, organization_id)
    return await upsert_contacts(session, organization_id, rows, attributes)


# --- custom attributes -------------------------------------------------------


def attribute_not_found(attribute_id: str) -> NotFoundError:
    return NotFoundError(
        f"Custom attribute {attribute_id} not found", code="CUSTOM_ATTRIBUTE_NOT_FOUND"
    )


async def create_attribute(
    session: AsyncSession, organization_id: str, data: schemas.AttributeCreate
) -> CustomAttribute:
    repo = AttributeRepository(session)
    base = slugify(data.display_name)
    name = unique_slug(base, await repo.names_like(organization_id, base))
    attribute = CustomAttribute(
        organization_id=organization_id,
        name=name,
        display_name=data.display_name,
        description=data.description,
        type=data.type.value,
    )
    try:
        async with session.begin_nested():
            await repo.add(attribute)
    except IntegrityError as exc:  # a concurrent create took the slug
        raise ConflictError(
            f"Custom attribute name {name!r} was just taken; retry", code="CUSTOM_ATTRIBUTE_EXISTS"
        ) from exc
    return attribute


async def get_attribute(
    session: AsyncSession, organization_id: str, attribute_id: str
) -> CustomAttribute:
    attribute = await AttributeRepository(session).get(organization_id, attribute_id)
    if attribute is None:
        raise attribute_not_found(attribute_id)
    return attribute


async def list_attributes(session: AsyncSession, organization_id: str) -> Sequence[CustomAttribute]:
    return await AttributeRepository(session).live(organization_id)


async def update_attribute(
    session: AsyncSession, organization_id: str, attribute_id: str, data: schemas.AttributeUpdate
) -> CustomAttribute:
    attribute = await get_attribute(session, organization_id, attribute_id)
    if data.type is not None and data.type.value != attribute.type:
        raise BadRequestError(
            f"The type of custom attribute {attribute.name!r} cannot be changed "
            f"(it is {attribute.type}); create a new attribute instead",
            code="CUSTOM_ATTRIBUTE_TYPE_IMMUTABLE",
        )
    # the slug `name` never changes: it is the key stored in contacts
    if data.display_name is not None:
        attribute.display_name = data.display_name
    if "description" in data.model_fields_set:
        attribute.description = data.description
    await session.flush()
    return attribute


async def delete_attribute(
    session: AsyncSession, organization_id: str, attribute_id: str
) -> CustomAttribute:
    attribute = await get_attribute(session, organization_id, attribute_id)
    attribute.deleted_at = utcnow()
    await session.flush()
    return attribute
