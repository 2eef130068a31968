"""Statuses of executions and of jobs, each with its table of allowed moves.

Every status change of an execution or a job — the API's pause / resume /
cancel, the dialer's start, stop, autoPause, completion, claim and record —
is checked against these tables: in Python (`check_transition`,
`check_job_transition`) or, for the dialer's guarded updates, as the SQL
condition "the row is in one of `sources(target)`". The enums are StrEnums,
so the values stored in the database are the same strings as before.

Executions:

scheduled ──► running ──► completed
    │  ╲         │ ▲ ╲──► stopped   (stopAt reached)
    │   ╲        ▼ │
    │    ╲─► paused / paused_threshold
    └──────────────────► cancelled  (from any live status)

Jobs (one per contact of an execution):

pending ──► in_progress ──► completed | failed | cancelled
   ▲  │            │
   │  └────────────┼──────► cancelled   (execution cancelled or stopped)
   └── retry ──────┘
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar


class ExecutionStatus(StrEnum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    PAUSED_THRESHOLD = "paused_threshold"
    COMPLETED = "completed"
    STOPPED = "stopped"
    CANCELLED = "cancelled"


class JobStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


E = ExecutionStatus
J = JobStatus

LIVE = frozenset({E.SCHEDULED, E.RUNNING, E.PAUSED, E.PAUSED_THRESHOLD})
TERMINAL = frozenset({E.COMPLETED, E.STOPPED, E.CANCELLED})

TRANSITIONS: Mapping[ExecutionStatus, frozenset[ExecutionStatus]] = {
    E.SCHEDULED: frozenset({E.RUNNING, E.PAUSED, E.CANCELLED, E.STOPPED}),
    E.RUNNING: frozenset({E.PAUSED, E.PAUSED_THRESHOLD, E.COMPLETED, E.STOPPED, E.CANCELLED}),
    E.PAUSED: frozenset({E.RUNNING, E.SCHEDULED, E.CANCELLED, E.STOPPED}),
    E.PAUSED_THRESHOLD: frozenset({E.RUNNING, E.PAUSED, E.CANCELLED, E.STOPPED}),
    E.COMPLETED: frozenset(),
    E.STOPPED: frozenset(),
    E.CANCELLED: frozenset(),
}

JOB_TRANSITIONS: Mapping[JobStatus, frozenset[JobStatus]] = {
    J.PENDING: frozenset({J.IN_PROGRESS, J.CANCELLED}),
    J.IN_PROGRESS: frozenset({J.PENDING, J.COMPLETED, J.FAILED, J.CANCELLED}),
    J.COMPLETED: frozenset(),
    J.FAILED: frozenset(),
    J.CANCELLED: frozenset(),
}


S = TypeVar("S", bound=StrEnum)


def _sources(table: Mapping[S, frozenset[S]]) -> dict[S, tuple[S, ...]]:
    found: dict[S, list[S]] = {}
    for current, targets in table.items():
        for target in targets:
            found.setdefault(target, []).append(current)
    return {target: tuple(sorted(currents)) for target, currents in found.items()}


_EXECUTION_SOURCES = _sources(TRANSITIONS)
_JOB_SOURCES = _sources(JOB_TRANSITIONS)


def sources(target: ExecutionStatus) -> tuple[ExecutionStatus, ...]:
    """The execution statuses from which `target` may be reached."""
    return _EXECUTION_SOURCES.get(target, ())


def job_sources(target: JobStatus) -> tuple[JobStatus, ...]:
    """The job statuses from which `target` may be reached."""
    return _JOB_SOURCES.get(target, ())


class IllegalTransitionError(Exception):
    def __init__(self, current: str, target: str, what: str = "execution") -> None:
        super().__init__(f"{what} cannot go from {current} to {target}")
        self.current = current
        self.target = target


def check_transition(current: str, target: str) -> None:
    if current not in _EXECUTION_VALUES or target not in TRANSITIONS[ExecutionStatus(current)]:
        raise IllegalTransitionError(current, target)


def check_job_transition(current: str, target: str) -> None:
    if current not in _JOB_VALUES or target not in JOB_TRANSITIONS[JobStatus(current)]:
        raise IllegalTransitionError(current, target, "job")


_EXECUTION_VALUES = frozenset(s.value for s in ExecutionStatus)
_JOB_VALUES = frozenset(s.value for s in JobStatus)
