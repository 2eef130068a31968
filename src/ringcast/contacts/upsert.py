"""Bulk upsert, matched by phone; used by `POST /api/contact/upsert` and CSV import.

Theory of operation, for one batch (≤ 1000 rows from the API, one chunk of a
CSV file):
1. every row is checked in Python (`rows.check_row`); bad rows are reported
   with their field errors and go no further;
2. rows repeating a phone seen later in the batch are dropped (the last one
   wins) and reported as duplicates;
3. one INSERT … ON CONFLICT (organization_id, primary_phone) WHERE live
   DO UPDATE per distinct set of sent fields (normally one: CSV rows and most
   API batches send the same fields) writes every good row in a single driver
   call, each with a new id that an existing contact does not take. On
   SQLite the statement itself merges the sent custom attributes into the
   stored ones (`json_patch`), so nothing is read first; then one count of
   the new ids tells created from updated (and, for a caller that needs the
   contacts' ids, one SELECT by phone when some rows were updates);
   on PostgreSQL one SELECT first finds the live contacts of the batch's
   phones (ids and stored custom attributes, merged in Python).
All of it runs in the caller's transaction: a crash leaves nothing written.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.contacts.attribute_values import AttributeType
from ringcast.contacts.ids import ordered_ids
from ringcast.contacts.repository import CUSTOM_PATCH, ContactRepository, can_merge_custom
from ringcast.contacts.rows import check_row, merge_custom
from ringcast.db.base import utcnow
from ringcast.errors import FieldIssue, cap_issues
from ringcast.kit.offload import off_loop

ROW_ISSUES = 20
"""A failed row lists at most this many problems (then a count): 1000 rows fit in a small answer."""


@dataclass(frozen=True, slots=True)
class RowFailure:
    index: int
    primary_phone: Any
    issues: list[FieldIssue]
    raw: Mapping[str, Any]

    def field_errors(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for issue in self.issues:
            out.setdefault(issue.path, []).append(issue.message)
        return out

    def field_details(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for issue in self.issues:
            out.setdefault(issue.path, []).append({"code": issue.code, "params": issue.params})
        return out


@dataclass(frozen=True, slots=True)
class Duplicate:
    index: int
    primary_phone: str
    superseded_by: int


@dataclass(slots=True)
class UpsertOutcome:
    created: int = 0
    updated: int = 0
    failed: list[RowFailure] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    contact_ids: list[str] = field(default_factory=list)
    """Filled when asked (`write_batch(with_ids=True)`), and always on PostgreSQL."""


@dataclass(slots=True)
class PreparedBatch:
    """A checked batch: the rows to write (phone → values, last row wins) and
    the outcome so far (failures, duplicates)."""

    good: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcome: UpsertOutcome = field(default_factory=UpsertOutcome)
    _winner: dict[str, int] = field(default_factory=dict)

    def add(
        self,
        index: int,
        raw: Any,
        attributes: Mapping[str, AttributeType],
        from_text: bool,
    ) -> None:
        if type(raw) is not dict and not isinstance(raw, Mapping):  # dict: no ABC check
            issue = FieldIssue("", "type", "Each row must be a JSON object")
            self.outcome.failed.append(RowFailure(index, None, [issue], {}))
            return
        checked = check_row(raw, attributes, from_text=from_text)
        if checked.issues:
            self.outcome.failed.append(
                RowFailure(
                    index, raw.get("primaryPhone"), cap_issues(checked.issues, ROW_ISSUES), raw
                )
            )
            return
        phone = checked.values["primary_phone"]
        previous = self._winner.get(phone)
        if previous is not None:
            self.outcome.duplicates.append(Duplicate(previous, phone, index))
            del self.good[phone]  # re-inserted below: order follows the winning row
        self._winner[phone] = index
        self.good[phone] = checked.values


def prepare_batch(
    rows: Sequence[Any],
    attributes: Mapping[str, AttributeType],
    *,
    from_text: bool = False,
    first_index: int = 0,
) -> PreparedBatch:
    """Steps 1-2, no database: check every row, drop superseded duplicates.
    Indexes start at `first_index`."""
    batch = PreparedBatch()
    for offset, raw in enumerate(rows):
        batch.add(first_index + offset, raw, attributes, from_text)
    return batch


async def prepare_batch_cooperatively(
    rows: Sequence[Any],
    attributes: Mapping[str, AttributeType],
    *,
    from_text: bool = False,
    yield_every: int = 100,
) -> PreparedBatch:
    """`prepare_batch` that lets the event loop run every `yield_every` rows, so
    the previous batch's database work (in the driver's thread) overlaps it."""
    batch = PreparedBatch()
    for index, raw in enumerate(rows):
        batch.add(index, raw, attributes, from_text)
        if index % yield_every == yield_every - 1:
            await asyncio.sleep(0)
    return batch


async def write_batch(
    session: AsyncSession,
    organization_id: str,
    batch: PreparedBatch,
    *,
    with_ids: bool = False,
) -> UpsertOutcome:
    """Step 3. `with_ids`: fill `outcome.contact_ids` (the written contacts' ids,
    in row order)."""
    outcome = batch.outcome
    if not batch.good:
        return outcome
    repo = ContactRepository(session)
    now = utcnow()
    constants = {"organization_id": organization_id, "created_at": now, "updated_at": now}
    connection = await session.connection()
    if can_merge_custom(connection.dialect):
        await _write_merging(repo, organization_id, batch, constants, with_ids)
    else:
        await _write_after_lookup(repo, organization_id, batch, constants)
    return outcome


async def _write_merging(
    repo: ContactRepository,
    organization_id: str,
    batch: PreparedBatch,
    constants: dict[str, Any],
    with_ids: bool,
) -> None:
    """The upsert merges custom attributes itself: no read before the write."""
    good, outcome = batch.good, batch.outcome
    ids = ordered_ids(len(good))
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for values, contact_id in zip(good.values(), ids, strict=True):
        if "custom_attributes" in values:
            sent = values["custom_attributes"]
            # a new contact stores merge_custom(None, sent): sent itself unless it
            # removes keys (nulls) or is empty; then an existing one is patched
            # with sent as it came
            if sent is not None and (not sent or None in sent.values()):
                values[CUSTOM_PATCH] = sent
                values["custom_attributes"] = merge_custom(None, sent)
        values["id"] = contact_id
        groups[tuple(values)].append(values)
    for columns, group in groups.items():
        await repo.upsert(group, columns, constants, merge=True)
    # an upsert that meets a contact keeps its id: each new id found is a new contact
    created = await repo.count_ids(ids)
    outcome.created += created
    outcome.updated += len(good) - created
    if with_ids:
        if created == len(good):
            outcome.contact_ids += ids
        else:
            existing = await repo.existing_by_phone(organization_id, list(good))
            outcome.contact_ids += [existing[phone][0] for phone in good]


async def _write_after_lookup(
    repo: ContactRepository,
    organization_id: str,
    batch: PreparedBatch,
    constants: dict[str, Any],
) -> None:
    """One SELECT for the stored contacts, merged in Python, then the upsert."""
    good, outcome = batch.good, batch.outcome
    existing = await repo.existing_by_phone(organization_id, list(good))
    fresh = iter(ordered_ids(len(good) - len(existing)))
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for phone, values in good.items():
        found = existing.get(phone)
        stored_custom: dict[str, Any] | None = None
        if found is None:
            contact_id = next(fresh)
            outcome.created += 1
        else:
            contact_id, stored_custom = found
            outcome.updated += 1
        if "custom_attributes" in values:
            values["custom_attributes"] = merge_custom(stored_custom, values["custom_attributes"])
        values["id"] = contact_id
        outcome.contact_ids.append(contact_id)
        groups[tuple(values)].append(values)
    for columns, group in groups.items():
        await repo.upsert(group, columns, constants)


async def upsert_contacts(
    session: AsyncSession,
    organization_id: str,
    rows: Sequence[Any],
    attributes: Mapping[str, AttributeType],
    *,
    from_text: bool = False,
    first_index: int = 0,
) -> UpsertOutcome:
    """Create or update every good row; report the bad ones. The rows are
    checked in the bounded worker pool, off the event loop."""
    batch = await off_loop(
        prepare_batch, rows, attributes, from_text=from_text, first_index=first_index
    )
    return await write_batch(session, organization_id, batch)
