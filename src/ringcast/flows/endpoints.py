from __future__ import annotations

from typing import Any

from fastapi import BackgroundTasks
from fastapi.responses import JSONResponse, Response

from ringcast.api.deps import PrincipalDep, SessionDep, StateDep
from ringcast.api.route import domain_router
from ringcast.api.state import AppState
from ringcast.flows import execute, service
from ringcast.flows.models import Flow as FlowRow
from ringcast.flows.models import FlowVersion as VersionRow
from ringcast.flows.schemas import (
    ExecuteRequest,
    Flow,
    FlowCreate,
    FlowUpdate,
    FlowVersion,
    FlowVersionList,
)
from ringcast.kit.pagination import Page, PageDep

router = domain_router("/api/flows", "Flows")


def to_schema(flow: FlowRow, version: VersionRow) -> Flow:
    return Flow.model_validate(
        {
            "id": flow.id,
            "organization_id": flow.organization_id,
            "name": flow.name,
            "description": flow.description,
            "version": version.version,
            "graph": version.graph,
            "warnings": version.warnings,
            "created_at": flow.created_at,
            "updated_at": flow.updated_at,
        }
    )


def version_schema(version: VersionRow) -> FlowVersion:
    return FlowVersion.model_validate(
        {
            "flow_id": version.flow_id,
            "version": version.version,
            "graph": version.graph,
            "warnings": version.warnings,
            "created_at": version.created_at,
        }
    )


@router.post(
    "/execute",
    summary="Test a flow: simulate at once, or place one live call",
    response_model=dict[str, Any],
)
async def execute_flow(
    body: ExecuteRequest, principal: PrincipalDep, session: SessionDep, state: StateDep
) -> Response:
    result = await execute.execute(
        session, state.clips, principal.organization_id, body, state.compiled_flows
    )
    # The trace is JSON-ready already: straight to JSON, not through FastAPI's
    # jsonable_encoder (which walked it again for 15x the cost of encoding it).
    return JSONResponse(result)


@router.get("", response_model=Page[Flow])
async def list_flows(principal: PrincipalDep, session: SessionDep, params: PageDep) -> Page[Flow]:
    rows, total, latest = await service.page(session, principal.organization_id, params)
    return Page.build([to_schema(r, latest[r.id]) for r in rows], total, params)


@router.post("", status_code=201, response_model=Flow)
async def create_flow(body: FlowCreate, principal: PrincipalDep, session: SessionDep) -> Flow:
    return to_schema(*await service.create(session, principal.organization_id, body))


@router.get("/{flow_id}", response_model=Flow)
async def get_flow(flow_id: str, principal: PrincipalDep, session: SessionDep) -> Flow:
    return to_schema(*await service.get_version(session, principal.organization_id, flow_id))


def forget_flow(state: AppState, flow_id: str, after: BackgroundTasks) -> None:
    """`/flows/execute`'s cached row of the flow goes now and again once the change is
    committed (background tasks run after the unit of work): a simulation read in
    between cannot keep the old row."""
    state.compiled_flows.forget(flow_id)
    after.add_task(state.compiled_flows.forget, flow_id)


@router.put("/{flow_id}", response_model=Flow)
async def update_flow(
    flow_id: str,
    body: FlowUpdate,
    principal: PrincipalDep,
    session: SessionDep,
    state: StateDep,
    after: BackgroundTasks,
) -> Flow:
    forget_flow(state, flow_id, after)
    return to_schema(*await service.update(session, principal.organization_id, flow_id, body))


@router.delete("/{flow_id}", status_code=204, response_class=Response)
async def delete_flow(
    flow_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    state: StateDep,
    after: BackgroundTasks,
) -> Response:
    forget_flow(state, flow_id, after)
    await service.delete(session, principal.organization_id, flow_id)
    return Response(status_code=204)


@router.get("/{flow_id}/versions", response_model=FlowVersionList)
async def list_versions(
    flow_id: str, principal: PrincipalDep, session: SessionDep
) -> FlowVersionList:
    rows = await service.versions(session, principal.organization_id, flow_id)
    return FlowVersionList(versions=[version_schema(v) for v in rows])


@router.get("/{flow_id}/versions/{version}", response_model=FlowVersion)
async def get_version(
    flow_id: str, version: int, principal: PrincipalDep, session: SessionDep
) -> FlowVersion:
    _, row = await service.get_version(session, principal.organization_id, flow_id, version)
    return version_schema(row)
