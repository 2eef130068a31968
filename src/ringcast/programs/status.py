"""Execution status as a table of allowed transitions; an illegal move raises.

scheduled ──► running ──► completed
    │  ╲         │ ▲ ╲──► stopped   (stopAt reached)
    │   ╲        ▼ │
    │    ╲─► paused / paused_threshold
    └──────────────────► cancelled  (from any live status)
"""

from __future__ import annotations

LIVE = frozenset({"scheduled", "running", "paused", "paused_threshold"})
TERMINAL = frozenset({"completed", "stopped", "cancelled"})

TRANSITIONS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"running", "paused", "cancelled", "stopped"}),
    "running": frozenset({"paused", "paused_threshold", "completed", "stopped", "cancelled"}),
    "paused": frozenset({"running", "scheduled", "cancelled", "stopped"}),
    "paused_threshold": frozenset({"running", "paused", "cancelled", "stopped"}),
    "completed": frozenset(),
    "stopped": frozenset(),
    "cancelled": frozenset(),
}


class IllegalTransitionError(Exception):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"execution cannot go from {current} to {target}")
        self.current = current
        self.target = target


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransitionError(current, target)
