from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, Query, Response

from ringcast.api.deps import PrincipalDep, SessionDep, WriterDep
from ringcast.api.route import domain_router
from ringcast.kit.pagination import Page, PageParams, page_params
from ringcast.programs import executions, service
from ringcast.programs.schemas import (
    Execution,
    LaunchResult,
    Program,
    ProgramCreate,
    ProgramUpdate,
    ResumeBody,
)
from ringcast.programs.status import ExecutionStatus

router = domain_router("/api/programs", "Programs")
executions_router = domain_router("/api/program-executions", "Executions")
Params = Annotated[PageParams, Depends(page_params)]


@router.post("", status_code=201, response_model=Program)
async def create_program(body: ProgramCreate, principal: WriterDep, session: SessionDep) -> Program:
    return Program.model_validate(await service.create(session, principal.organization_id, body))


@router.get("", response_model=Page[Program])
async def list_programs(
    principal: PrincipalDep, session: SessionDep, params: Params
) -> Page[Program]:
    rows, total = await service.page(session, principal.organization_id, params)
    return Page.build([Program.model_validate(r) for r in rows], total, params)


@router.get("/{program_id}", response_model=Program)
async def get_program(program_id: str, principal: PrincipalDep, session: SessionDep) -> Program:
    return Program.model_validate(await service.get(session, principal.organization_id, program_id))


@router.put("/{program_id}", response_model=Program)
@router.patch("/{program_id}", response_model=Program)  # Gomobile's update; partial as PUT
async def update_program(
    program_id: str, body: ProgramUpdate, principal: WriterDep, session: SessionDep
) -> Program:
    program = await service.update(session, principal.organization_id, program_id, body)
    return Program.model_validate(program)


@router.delete("/{program_id}", status_code=204)
async def delete_program(program_id: str, principal: WriterDep, session: SessionDep) -> Response:
    await service.delete(session, principal.organization_id, program_id)
    return Response(status_code=204)


@router.post("/{program_id}/archive", response_model=Program)
async def archive_program(program_id: str, principal: WriterDep, session: SessionDep) -> Program:
    program = await service.archive(session, principal.organization_id, program_id)
    return Program.model_validate(program)


@router.post("/{program_id}/launch", status_code=201, response_model=LaunchResult)
async def launch_program(
    program_id: str, principal: WriterDep, session: SessionDep
) -> LaunchResult:
    execution = await service.launch(session, principal.organization_id, program_id)
    return LaunchResult(execution_id=execution.id)


@router.get("/{program_id}/executions", response_model=Page[Execution])
async def list_executions(
    program_id: str, principal: PrincipalDep, session: SessionDep, params: Params
) -> Page[Execution]:
    await service.get(session, principal.organization_id, program_id)
    rows, total = await executions.page_for_program(
        session, principal.organization_id, program_id, params
    )
    return Page.build(await executions.describe(session, rows), total, params)


@executions_router.get("", response_model=Page[Execution])
async def list_all_executions(
    principal: PrincipalDep,
    session: SessionDep,
    params: Params,
    status: Annotated[ExecutionStatus | None, Query()] = None,
) -> Page[Execution]:
    """The organization's executions (program launches), newest first; `status` filters."""
    rows, total = await executions.page_for_organization(
        session, principal.organization_id, status, params
    )
    return Page.build(await executions.describe(session, rows), total, params)


@executions_router.get("/{execution_id}", response_model=Execution)
async def get_execution(
    execution_id: str, principal: PrincipalDep, session: SessionDep
) -> Execution:
    execution = await executions.get(session, principal.organization_id, execution_id)
    return (await executions.describe(session, [execution]))[0]


@executions_router.patch("/{execution_id}/pause", response_model=Execution)
async def pause_execution(
    execution_id: str, principal: WriterDep, session: SessionDep
) -> Execution:
    execution = await executions.pause(session, principal.organization_id, execution_id)
    return (await executions.describe(session, [execution]))[0]


@executions_router.patch("/{execution_id}/resume", response_model=Execution)
async def resume_execution(
    execution_id: str,
    principal: WriterDep,
    session: SessionDep,
    body: Annotated[ResumeBody | None, Body()] = None,
) -> Execution:
    rules = body.auto_pause_rules if body is not None else None
    execution = await executions.resume(session, principal.organization_id, execution_id, rules)
    return (await executions.describe(session, [execution]))[0]


@executions_router.patch("/{execution_id}/cancel", response_model=Execution)
async def cancel_execution(
    execution_id: str, principal: WriterDep, session: SessionDep
) -> Execution:
    execution = await executions.cancel(session, principal.organization_id, execution_id)
    return (await executions.describe(session, [execution]))[0]
