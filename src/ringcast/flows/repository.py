from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.flows.models import Flow, FlowResourceRef, FlowVersion
from ringcast.kit.pagination import PageParams
from ringcast.kit.repository import paginate

SORTABLE = {"name": Flow.name, "createdAt": Flow.created_at, "updatedAt": Flow.updated_at}


class FlowRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: str, flow_id: str) -> Flow | None:
        result = await self.session.execute(
            select(Flow).where(
                Flow.id == flow_id,
                Flow.organization_id == organization_id,
                Flow.deleted_at.is_(None),
            )
        )
        return result.scalar_one_or_none()

    async def get_version(self, flow_id: str, version: int) -> FlowVersion | None:
        result = await self.session.execute(
            select(FlowVersion).where(
                FlowVersion.flow_id == flow_id, FlowVersion.version == version
            )
        )
        return result.scalar_one_or_none()

    async def versions(self, flow_id: str) -> Sequence[FlowVersion]:
        result = await self.session.execute(
            select(FlowVersion).where(FlowVersion.flow_id == flow_id).order_by(FlowVersion.version)
        )
        return result.scalars().all()

    async def latest_versions(self, flows: Sequence[Flow]) -> dict[str, FlowVersion]:
        if not flows:
            return {}
        pairs = [(f.id, f.latest_version) for f in flows]
        result = await self.session.execute(
            select(FlowVersion).where(
                or_(
                    *[(FlowVersion.flow_id == fid) & (FlowVersion.version == v) for fid, v in pairs]
                )
            )
        )
        return {v.flow_id: v for v in result.scalars()}

    async def referencing(
        self, organization_id: str, kind: Literal["audio", "dictionary"], resource_id: str
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
        return list((await self.session.execute(stmt)).scalars())

    async def add_flow(self, flow: Flow) -> Flow:
        self.session.add(flow)
        await self.session.flush()
        return flow

    async def add_version(
        self,
        flow: Flow,
        version: int,
        graph: dict[str, Any],
        warnings: list[dict[str, Any]],
        refs: Iterable[tuple[str, str]],
    ) -> FlowVersion:
        row = FlowVersion(flow_id=flow.id, version=version, graph=graph, warnings=warnings)
        self.session.add(row)
        await self.session.flush()
        self.session.add_all(
            FlowResourceRef(flow_version_id=row.id, kind=kind, resource_id=rid)
            for kind, rid in set(refs)
        )
        await self.session.flush()
        return row

    async def page(
        self, organization_id: str, params: PageParams, sort: str
    ) -> tuple[Sequence[Flow], int]:
        stmt = select(Flow).where(
            Flow.organization_id == organization_id, Flow.deleted_at.is_(None)
        )
        if params.search:
            like = f"%{params.search}%"
            stmt = stmt.where(or_(Flow.name.ilike(like), Flow.description.ilike(like)))
        return await paginate(self.session, stmt, params, SORTABLE[sort], Flow.id)
