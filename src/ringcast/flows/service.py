from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.audiofiles.repository import AudioFileRepository
from ringcast.dictionaries.repository import DictionaryRepository
from ringcast.errors import FieldIssue, NotFoundError, ValidationFailedError
from ringcast.flow.issues import Issue
from ringcast.flow.validation import MissingResources, ValidationResult, validate_graph_async
from ringcast.flows.models import Flow, FlowVersion
from ringcast.flows.repository import SORTABLE, FlowRepository
from ringcast.flows.schemas import FlowCreate, FlowUpdate
from ringcast.kit.clock import utcnow
from ringcast.kit.pagination import PageParams
from ringcast.settings import get_settings
from ringcast.telephony.sip.targets import NOT_ALLOWED, forward_hosts, host_allowed, refused_message
from ringcast.trunks.repository import TrunkRepository


async def validate(
    session: AsyncSession, organization_id: str, graph: Any, prefix: str = "graph"
) -> ValidationResult:
    """Validate a graph, checking its audio and dictionary ids in this organization."""

    async def resources(
        audio_ids: frozenset[str], dictionary_ids: frozenset[str]
    ) -> MissingResources:
        have_audio = await AudioFileRepository(session).existing_ids(
            organization_id, list(audio_ids)
        )
        have_dicts = await DictionaryRepository(session).existing_ids(
            organization_id, list(dictionary_ids)
        )
        return MissingResources(audio_ids - have_audio, dictionary_ids - have_dicts)

    result = await validate_graph_async(graph, resources=resources, prefix=prefix)
    if result.trunk_refs or result.sip_hosts:
        await _check_forward_targets(session, organization_id, result)
    return result


async def _check_forward_targets(
    session: AsyncSession, organization_id: str, result: ValidationResult
) -> None:
    """A Forward node's `trunkId` is one of the organization's trunks; its `sip:` targets
    reach only allowed hosts (telephony/sip/targets.py)."""
    trunks = await TrunkRepository(session).all(organization_id)
    ids = {t.id for t in trunks}
    hosts = forward_hosts(((t.host, t.from_domain) for t in trunks), get_settings())
    for trunk_id, paths in sorted(result.trunk_refs.items()):
        if trunk_id not in ids:
            for path in paths:
                message = f"trunk {trunk_id!r} does not exist"
                result.errors.append(Issue(path, "trunk_not_found", message, {"id": trunk_id}))
    for host, paths in sorted(result.sip_hosts.items()):
        if not host_allowed(host, hosts):
            for path in paths:
                result.errors.append(
                    Issue(path, NOT_ALLOWED, refused_message(host), {"host": host})
                )
    if result.errors:
        result.graph = None


def raise_if_invalid(result: ValidationResult) -> None:
    if result.ok:
        return
    raise ValidationFailedError(
        "The flow graph is invalid",
        issues=[FieldIssue(i.path, i.code, i.message, i.params) for i in result.errors],
    )


async def _save_version(
    session: AsyncSession, flow: Flow, version: int, result: ValidationResult
) -> FlowVersion:
    assert result.graph is not None
    graph = result.graph.model_dump(mode="json", by_alias=True)
    refs = [("audio", a) for a in result.audio_refs] + [
        ("dictionary", d) for d in result.dictionary_refs
    ]
    return await FlowRepository(session).add_version(
        flow, version, graph, [w.to_dict() for w in result.warnings], refs
    )


async def create(
    session: AsyncSession, organization_id: str, data: FlowCreate
) -> tuple[Flow, FlowVersion]:
    result = await validate(session, organization_id, data.graph)
    raise_if_invalid(result)
    flow = await FlowRepository(session).add_flow(
        Flow(
            organization_id=organization_id,
            name=data.name,
            description=data.description,
            latest_version=1,
        )
    )
    return flow, await _save_version(session, flow, 1, result)


async def get(session: AsyncSession, organization_id: str, flow_id: str) -> Flow:
    flow = await FlowRepository(session).get(organization_id, flow_id)
    if flow is None:
        raise NotFoundError(f"Flow {flow_id} not found", code="FLOW_NOT_FOUND")
    return flow


async def get_version(
    session: AsyncSession, organization_id: str, flow_id: str, version: int | None = None
) -> tuple[Flow, FlowVersion]:
    flow = await get(session, organization_id, flow_id)
    row = await FlowRepository(session).get_version(flow.id, version or flow.latest_version)
    if row is None:
        raise NotFoundError(
            f"Flow {flow_id} has no version {version}", code="FLOW_VERSION_NOT_FOUND"
        )
    return flow, row


async def versions(
    session: AsyncSession, organization_id: str, flow_id: str
) -> Sequence[FlowVersion]:
    flow = await get(session, organization_id, flow_id)
    return await FlowRepository(session).versions(flow.id)


async def update(
    session: AsyncSession, organization_id: str, flow_id: str, data: FlowUpdate
) -> tuple[Flow, FlowVersion]:
    """Rename/describe in place; a new graph becomes a new immutable version."""
    flow, latest = await get_version(session, organization_id, flow_id)
    if data.graph is not None:
        result = await validate(session, organization_id, data.graph)
        raise_if_invalid(result)
        flow.latest_version += 1
        latest = await _save_version(session, flow, flow.latest_version, result)
    changes = data.model_dump(exclude_unset=True, exclude={"graph"})
    for name, value in changes.items():
        if value is not None or name == "description":
            setattr(flow, name, value)
    flow.updated_at = utcnow()
    await session.flush()
    return flow, latest


async def delete(session: AsyncSession, organization_id: str, flow_id: str) -> None:
    """Soft delete: versions pinned by executions keep working."""
    flow = await get(session, organization_id, flow_id)
    flow.deleted_at = utcnow()
    await session.flush()


async def page(
    session: AsyncSession, organization_id: str, params: PageParams
) -> tuple[Sequence[Flow], int, dict[str, FlowVersion]]:
    sort = params.checked_sort(list(SORTABLE), "createdAt")
    repo = FlowRepository(session)
    rows, total = await repo.page(organization_id, params, sort)
    return rows, total, await repo.latest_versions(rows)
