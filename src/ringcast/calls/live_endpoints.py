"""`GET /api/program-executions/{id}/live` **(beyond)**."""

from __future__ import annotations

from ringcast.api.deps import PrincipalDep, SessionDep
from ringcast.api.route import domain_router
from ringcast.calls.live import LiveView, live_view
from ringcast.db.base import utcnow
from ringcast.programs import executions

router = domain_router("/api/program-executions", "Executions")


@router.get("/{execution_id}/live", response_model=LiveView)
async def get_live_view(
    execution_id: str, principal: PrincipalDep, session: SessionDep
) -> LiveView:
    """What is happening now: counters, calls per minute (last 5 minutes), outcomes
    and AMD verdicts so far, calls per minute over the last 30 minutes, calls in
    flight with their age and the flow node each is in (since when; `stalled`
    when stuck in it), node run counts, key-press tallies per DTMF node, and the
    autoPause rules that paused it."""
    execution = await executions.get(session, principal.organization_id, execution_id)
    return await live_view(session, execution, utcnow())
