"""A `CallLauncher` that runs the real flow runner against scripted callees.

Each dialed number gets a `CalleeScript` from `script_for` (default: a human
who answers at once and presses nothing). The run happens in virtual time
starting at the plan's slot, so it costs microseconds, not the call's length.
"""

from __future__ import annotations

from collections.abc import Callable

from ringcast.dialer.launcher import CallPlan, CallResult
from ringcast.flow.simulate import run_simulation
from ringcast.telephony.simulated import CalleeScript

INSTANT_HUMAN = CalleeScript(answer="human", ring_ms=0, amd_ms=0, speech_ms=0, hangup_after_ms=None)


class SimulatedLauncher:
    def __init__(self, script_for: Callable[[str], CalleeScript] | None = None) -> None:
        self.script_for = script_for or (lambda _number: INSTANT_HUMAN)
        self.plans: list[CallPlan] = []

    async def launch(self, plan: CallPlan) -> CallResult:
        self.plans.append(plan)
        ctx = plan.run_context()
        trace = await run_simulation(
            plan.flow,
            ctx,
            self.script_for(plan.to_number),
            start_at=plan.start_at,
            on_node=plan.on_node,
        )
        return CallResult.from_trace(trace)
