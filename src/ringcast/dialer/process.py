"""What a launcher and a dialer need from the process they run in.

Kept apart from the call seam (`dialer/launcher.py`), which stays free of
settings and database types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ringcast.settings import Settings
from ringcast.storage.base import Storage


class ProcessState(Protocol):
    """The API's `AppState` under `ringcast serve`, a `WorkerState` under
    `ringcast dialer`."""

    @property
    def settings(self) -> Settings: ...

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def storage(self) -> Storage: ...


@dataclass(frozen=True, slots=True)
class WorkerState:
    """The `ProcessState` of a process that runs only the dialer."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    storage: Storage
