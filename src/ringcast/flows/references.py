"""Which flows use a resource: a delete of an audio file or dictionary in use is a 409."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.errors import ConflictError
from ringcast.flows.models import Flow, FlowResourceRef, FlowVersion


async def flows_referencing(
    session: AsyncSession,
    organization_id: str,
    kind: Literal["audio", "dictionary"],
    resource_id: str,
) -> list[str]:
    """Ids of live flows whose latest version references the resource."""
    stmt = (
        select(Flow.id)
        .join(
            FlowVersion,
            (FlowVersion.flow_id == Flow.id) & (FlowVersion.version == Flow.latest_version),
        )
        .join(FlowResourceRef, FlowResourceRef.flow_version_id == FlowVersion.id)
        .where(
            Flow.organization_id == organization_id,
            Flow.deleted_at.is_(None),
            FlowResourceRef.kind == kind,
            FlowResourceRef.resource_id == resource_id,
        )
        .distinct()
    )
    return list((await session.execute(stmt)).scalars())


async def ensure_unused(
    session: AsyncSession,
    organization_id: str,
    kind: Literal["audio", "dictionary"],
    resource_id: str,
) -> None:
    """A 409 (`AUDIO_IN_USE` / `DICTIONARY_IN_USE`) naming the flows that use it."""
    users = await flows_referencing(session, organization_id, kind, resource_id)
    if users:
        label = "Audio file" if kind == "audio" else "Dictionary"
        raise ConflictError(
            f"{label} is used by flow(s): {', '.join(users)}",
            code=f"{kind.upper()}_IN_USE",
            extra={"flowIds": users},
        )
