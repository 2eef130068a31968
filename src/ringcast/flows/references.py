"""Which flows use a resource: a delete of an audio file or dictionary in use is a 409."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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
