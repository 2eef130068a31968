"""Background CSV imports started over HTTP.

Theory of operation: the upload is saved under the data dir, a
`contact_imports` row is committed with status `pending`, and an asyncio task
owned by the app (tracked in `ImportJobs`, kept in `AppState.extras`) runs
`import_csv`, writing progress into that row in the same transaction as each
chunk, so the counts a poll sees always match what is stored. The task ends
`completed` or `failed` (bad file, crash, or the app shutting down); the
upload is deleted, the rejected-rows CSV is kept for download.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.api.state import AppState
from ringcast.contacts.csv_import import ImportFileError, ImportTotals, import_csv
from ringcast.contacts.models import ContactImport
from ringcast.contacts.repository import ImportRepository
from ringcast.contacts.schemas import ImportStatus
from ringcast.db.base import utcnow

log = logging.getLogger("ringcast.contacts.import")

_EXTRAS_KEY = "contact_imports"
INTERRUPTED = "The import was interrupted (server shutting down); upload the file again"


def import_dir(state: AppState, organization_id: str) -> Path:
    path = state.settings.data_dir / "imports" / organization_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(state: AppState, organization_id: str, import_id: str) -> Path:
    return import_dir(state, organization_id) / f"{import_id}.csv"


def rejected_path(state: AppState, organization_id: str, import_id: str) -> Path:
    return import_dir(state, organization_id) / f"{import_id}.rejected.csv"


class ImportJobs:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.tasks: dict[str, tuple[str, asyncio.Task[None]]] = {}

    async def start(self, organization_id: str, import_id: str, audience_id: str | None) -> None:
        task = asyncio.create_task(
            self._run(organization_id, import_id, audience_id), name=f"import-{import_id}"
        )
        self.tasks[import_id] = (organization_id, task)
        task.add_done_callback(lambda _t: self.tasks.pop(import_id, None))

    async def wait(self, import_id: str) -> None:
        entry = self.tasks.get(import_id)
        if entry is not None:
            await asyncio.shield(entry[1])

    async def close(self) -> None:
        """Cancel running imports; they end `failed` (the user uploads again)."""
        entries = list(self.tasks.items())
        for _import_id, (_org, task) in entries:
            task.cancel()
        await asyncio.gather(*(task for _id, (_org, task) in entries), return_exceptions=True)
        # a task cancelled before its first step never ran its own cleanup
        for import_id, (organization_id, _task) in entries:
            async with self.state.sessions.begin() as session:
                await ImportRepository(session).set_fields(
                    organization_id,
                    import_id,
                    only_if_status=(ImportStatus.pending.value, ImportStatus.running.value),
                    status=ImportStatus.failed.value,
                    error=INTERRUPTED,
                    finished_at=utcnow(),
                )

    async def _set(self, organization_id: str, import_id: str, **values: Any) -> None:
        async with self.state.sessions.begin() as session:
            await ImportRepository(session).set_fields(organization_id, import_id, **values)

    async def _run(self, organization_id: str, import_id: str, audience_id: str | None) -> None:
        source = upload_path(self.state, organization_id, import_id)

        async def progress(session: AsyncSession, totals: ImportTotals) -> None:
            await ImportRepository(session).set_fields(
                organization_id,
                import_id,
                processed_rows=totals.processed,
                created_count=totals.created,
                updated_count=totals.updated,
                failed_count=totals.failed,
                errors=list(totals.errors),
            )

        status, error = ImportStatus.failed, None
        try:
            await self._set(
                organization_id, import_id, status=ImportStatus.running.value, started_at=utcnow()
            )
            await import_csv(
                self.state.sessions,
                organization_id,
                source,
                rejected_path=rejected_path(self.state, organization_id, import_id),
                audience_id=audience_id,
                on_chunk=progress,
            )
            status = ImportStatus.completed
        except ImportFileError as exc:
            error = exc.message
        except asyncio.CancelledError:
            error = INTERRUPTED
            raise
        except Exception:
            log.exception("contact import %s crashed", import_id)
            error = "The import stopped on an internal error; rows before it are stored"
        finally:
            source.unlink(missing_ok=True)
            await asyncio.shield(
                self._set(
                    organization_id,
                    import_id,
                    status=status.value,
                    error=error,
                    finished_at=utcnow(),
                )
            )


# Progress is written after every chunk (well under a second each), so an
# import this long without it died with its process (restart, crash).
STALE_AFTER = timedelta(minutes=10)


async def expire_if_stale(session: AsyncSession, record: ContactImport) -> None:
    """Mark an import whose process is gone as failed, so pollers stop waiting."""
    unfinished = (ImportStatus.pending.value, ImportStatus.running.value)
    if record.status in unfinished and record.updated_at < utcnow() - STALE_AFTER:
        record.status = ImportStatus.failed.value
        record.error = "The import stopped making progress (server restarted?); upload again"
        record.finished_at = utcnow()
        await session.flush()


def jobs_for(state: AppState) -> ImportJobs:
    jobs = state.extras.get(_EXTRAS_KEY)
    if not isinstance(jobs, ImportJobs):
        jobs = ImportJobs(state)
        state.extras[_EXTRAS_KEY] = jobs
    return jobs


async def shutdown_imports(state: AppState) -> None:
    """An `on_shutdown` hook for `create_app`: stop imports before the engine closes."""
    jobs = state.extras.get(_EXTRAS_KEY)
    if isinstance(jobs, ImportJobs):
        await jobs.close()
