"""The execution page's live region: everything on it that changes while a
campaign runs, rendered from one snapshot (the API's live view, the detail
tables, charts, the flow graph with node counts). The page renders it once;
the event stream renders it again every `TICK_S` and sends it when it changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.calls.live import LiveView, live_view
from ringcast.dashboard import charts, flowgraph, views
from ringcast.programs.models import Execution


@dataclass(frozen=True, slots=True)
class LiveRegion:
    detail: views.ExecutionDetail
    live: LiveView
    calls_chart: Markup
    outcomes_chart: Markup
    amd_chart: Markup
    flow_svg: Markup | None

    @property
    def finished(self) -> bool:
        return self.live.execution.status in ("completed", "stopped", "cancelled")


async def snapshot(
    session: AsyncSession,
    organization_id: str,
    execution: Execution,
    program_name: str | None,
    now: datetime,
) -> LiveRegion:
    detail = await views.detail(session, organization_id, execution, program_name, now)
    live = await live_view(session, execution, now)
    minutes = [m.minute for m in live.per_minute]
    return LiveRegion(
        detail=detail,
        live=live,
        calls_chart=charts.calls_per_minute(minutes, [m.calls for m in live.per_minute]),
        outcomes_chart=charts.outcomes_over_time(minutes, [m.outcomes for m in live.per_minute]),
        amd_chart=charts.split_bar(live.amd, charts.AMD_COLOURS, "AMD verdicts"),
        flow_svg=await flowgraph.render(execution.flow_graph, live.node_counts, live.key_counts),
    )
