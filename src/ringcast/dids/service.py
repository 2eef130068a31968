"""DID logic: E.164 numbers whose country is checked against the number."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.dids.models import Did
from ringcast.dids.numbers import number_issues
from ringcast.dids.repository import SORTABLE, DidRepository
from ringcast.dids.schemas import DidCreate, DidUpdate
from ringcast.errors import ConflictError, FieldIssue, NotFoundError, ValidationFailedError
from ringcast.flows.repository import FlowRepository
from ringcast.kit.pagination import PageParams
from ringcast.trunks.repository import TrunkRepository


def _group_issues(changes: dict[str, Any]) -> list[FieldIssue]:
    """`trunkGroup` replaces `trunkId` (its first trunk becomes `trunkId`): not both."""
    group = changes.get("trunk_group")
    if group is None:
        return []
    issues = []
    if changes.get("trunk_id") is not None:
        issues.append(FieldIssue("trunkId", "conflict", "Give trunkId or trunkGroup, not both"))
    seen: set[str] = set()
    for index, member in enumerate(group):
        if member["trunk_id"] in seen:
            issues.append(
                FieldIssue(f"trunkGroup[{index}].trunkId", "duplicate", "A trunk appears twice")
            )
        seen.add(member["trunk_id"])
    return issues


def _apply_group(changes: dict[str, Any]) -> None:
    """Store the group in its wire shape and point `trunk_id` at its first trunk (what
    inbound matching and older readers use); a bare `trunkId` is a group of one."""
    if "trunk_group" in changes and changes["trunk_group"] is not None:
        # a partial update's dump leaves defaults out, also inside the members
        group = sorted(
            ({"priority": 1, "weight": 1, **m} for m in changes["trunk_group"]),
            key=lambda m: m["priority"],
        )
        changes["trunk_id"] = group[0]["trunk_id"]
        changes["trunk_group"] = [
            {"trunkId": m["trunk_id"], "priority": m["priority"], "weight": m["weight"]}
            for m in group
        ]
    elif "trunk_id" in changes:
        changes["trunk_group"] = None


async def _check_group(
    session: AsyncSession, organization_id: str, group: list[dict[str, Any]] | None
) -> list[FieldIssue]:
    issues = []
    trunks = TrunkRepository(session)
    for index, member in enumerate(group or []):
        if await trunks.get(organization_id, member["trunk_id"]) is None:
            issues.append(
                FieldIssue(
                    f"trunkGroup[{index}].trunkId",
                    "not_found",
                    "No such trunk in this organization",
                )
            )
    return issues


async def _check_refs(
    session: AsyncSession, organization_id: str, trunk_id: str | None, flow_id: str | None
) -> list[FieldIssue]:
    issues = []
    if (
        trunk_id is not None
        and await TrunkRepository(session).get(organization_id, trunk_id) is None
    ):
        issues.append(FieldIssue("trunkId", "not_found", "No such trunk in this organization"))
    if flow_id is not None and await FlowRepository(session).get(organization_id, flow_id) is None:
        issues.append(FieldIssue("inboundFlowId", "not_found", "No such flow in this organization"))
    return issues


async def get(session: AsyncSession, organization_id: str, did_id: str) -> Did:
    did = await DidRepository(session).get(organization_id, did_id)
    if did is None:
        raise NotFoundError("DID not found", code="DID_NOT_FOUND")
    return did


async def _save(session: AsyncSession, did: Did, except_id: str | None) -> Did:
    repo = DidRepository(session)
    if await repo.number_taken(did.organization_id, did.number, except_id):
        raise ConflictError(f"{did.number} is already a DID", code="DID_EXISTS")
    try:
        async with session.begin_nested():
            await repo.add(did)
    except IntegrityError as exc:  # a concurrent create of the same number
        raise ConflictError(f"{did.number} is already a DID", code="DID_EXISTS") from exc
    return did


async def create(session: AsyncSession, organization_id: str, data: DidCreate) -> Did:
    fields = data.model_dump()
    issues = number_issues(data.number, data.country) + _group_issues(fields)
    issues += await _check_refs(session, organization_id, data.trunk_id, data.inbound_flow_id)
    issues += await _check_group(session, organization_id, fields["trunk_group"])
    if issues:
        raise ValidationFailedError("Invalid DID", issues=issues)
    _apply_group(fields)
    did = Did(organization_id=organization_id, **fields)
    return await _save(session, did, None)


async def update(session: AsyncSession, organization_id: str, did_id: str, data: DidUpdate) -> Did:
    did = await get(session, organization_id, did_id)
    changes = data.model_dump(exclude_unset=True)
    number = changes.get("number") or did.number
    country = changes.get("country") or did.country
    issues = number_issues(number, country) + _group_issues(changes)
    issues += await _check_refs(
        session, organization_id, changes.get("trunk_id"), changes.get("inbound_flow_id")
    )
    issues += await _check_group(session, organization_id, changes.get("trunk_group"))
    if issues:
        raise ValidationFailedError("Invalid DID", issues=issues)
    _apply_group(changes)
    for name, value in changes.items():
        if value is None and name in ("number", "country", "status"):
            continue
        setattr(did, name, value)
    return await _save(session, did, did.id)


async def delete(session: AsyncSession, organization_id: str, did_id: str) -> None:
    await DidRepository(session).delete(await get(session, organization_id, did_id))


async def page(
    session: AsyncSession, organization_id: str, params: PageParams, status: str | None = None
) -> tuple[Sequence[Did], int]:
    sort = params.checked_sort(list(SORTABLE), "createdAt")
    return await DidRepository(session).page(organization_id, params, sort, status)


async def pool_issues(
    session: AsyncSession, organization_id: str, numbers: Sequence[str], path: str = "didPool"
) -> list[FieldIssue]:
    """Every number must be an active DID of the organization."""
    found = {d.number: d for d in await DidRepository(session).by_numbers(organization_id, numbers)}
    issues = []
    for index, number in enumerate(numbers):
        did = found.get(number)
        if did is None:
            issues.append(
                FieldIssue(f"{path}[{index}]", "did_not_found", f"{number} is not a DID of yours")
            )
        elif did.status != "active":
            issues.append(
                FieldIssue(
                    f"{path}[{index}]", "did_not_active", f"{number} is {did.status}, not active"
                )
            )
    return issues
