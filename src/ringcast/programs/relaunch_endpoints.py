"""`POST /api/program-executions/{id}/relaunch` **(beyond)**."""

from __future__ import annotations

from ringcast.api.deps import SessionDep, WriterDep
from ringcast.api.route import domain_router
from ringcast.programs.relaunch import RelaunchBody, relaunch
from ringcast.programs.schemas import LaunchResult

router = domain_router("/api/program-executions", "Executions")


@router.post("/{execution_id}/relaunch", status_code=201, response_model=LaunchResult)
async def relaunch_execution(
    execution_id: str, principal: WriterDep, session: SessionDep, body: RelaunchBody | None = None
) -> LaunchResult:
    """Launch the program again (its current settings) over the contacts whose
    final outcome in this execution is in `outcomes` (default: not completed).
    400 `NothingToRelaunchError` when none is; 409 as a launch would."""
    outcomes = body.outcomes if body is not None else None
    execution = await relaunch(session, principal.organization_id, execution_id, outcomes)
    return LaunchResult(execution_id=execution.id)
