"""Export jobs: an export runs in the background and ends in a file to download.

Theory of operation: `POST /api/exports` checks the scope, writes the job's
status file (`<data_dir>/exports/<org>/<id>.json`) as `pending` and starts an
asyncio task owned by the app (`ExportJobs` in `AppState.extras`). The task
reads the executions' jobs in keyset batches on its own session, writes each
row to `<id>.<fmt>.part` and rewrites the status file with its progress after
every batch; at the end the part file is renamed to `<id>.<fmt>` and the job is
`completed` (or `failed`, with the reason). Status lives beside the file, not
in the database: API processes sharing the data dir (as they share media) see
the same jobs, and a finished export is a file plus its receipt. A job whose
status has not moved for `STALE_AFTER` died with its process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.api.state import AppState
from ringcast.calls.exports.repository import ExportRepository
from ringcast.calls.exports.rows import ExportColumns
from ringcast.calls.exports.schemas import ExportCreate
from ringcast.calls.exports.writers import ExportFormat, RowWriter, open_writer
from ringcast.db.base import new_id, utcnow
from ringcast.programs.models import Execution

log = logging.getLogger("ringcast.calls.exports")

_EXTRAS_KEY = "exports"
STALE_AFTER = timedelta(minutes=10)
INTERRUPTED = "The export was interrupted (server shutting down); start it again"

Progress = Callable[[int], Awaitable[None]]


async def write_rows(
    session: AsyncSession,
    organization_id: str,
    executions: Sequence[Execution],
    writer: RowWriter,
    recording_url: str,
    on_batch: Progress | None = None,
    batch: int = 500,
) -> int:
    """Write the header and one row per job of `executions`; returns the row count."""
    repo = ExportRepository(session)
    columns = ExportColumns.build(
        await repo.attribute_names(organization_id), [e.flow_graph for e in executions]
    )
    writer.write(columns.header)
    written = 0
    if not executions:
        return 0
    ids = [e.id for e in executions]
    async for bundles in repo.bundles(ids, batch, with_recordings=columns.records):
        for bundle in bundles:
            writer.write(columns.row(bundle, recording_url))
        written += len(bundles)
        if on_batch is not None:
            await on_batch(written)
    return written


def export_dir(state: AppState, organization_id: str) -> Path:
    path = state.settings.data_dir / "exports" / organization_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def _status_path(state: AppState, organization_id: str, export_id: str) -> Path:
    return export_dir(state, organization_id) / f"{export_id}.json"


def file_path(state: AppState, organization_id: str, export_id: str, fmt: str) -> Path:
    return export_dir(state, organization_id) / f"{export_id}.{fmt}"


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def load(state: AppState, organization_id: str, export_id: str) -> dict[str, Any] | None:
    """The job's status record, or None (unknown id, or another organization's)."""
    if not export_id.replace("-", "").isalnum() or len(export_id) > 36:
        return None
    try:
        record: dict[str, Any] = json.loads(
            _status_path(state, organization_id, export_id).read_text()
        )
    except (OSError, ValueError):
        return None
    if record["status"] in ("pending", "running"):
        updated = datetime.fromisoformat(record["updatedAt"])
        if updated < utcnow() - STALE_AFTER:
            record.update(status="failed", error="The export stopped making progress; start again")
    return record


def _save(state: AppState, record: dict[str, Any]) -> None:
    record["updatedAt"] = utcnow().isoformat()
    path = _status_path(state, record["organizationId"], record["id"])
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, path)


class ExportJobs:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def create(
        self,
        organization_id: str,
        body: ExportCreate,
        executions: Sequence[Execution],
        recording_url: str,
    ) -> dict[str, Any]:
        export_id = new_id()
        record: dict[str, Any] = {
            "id": export_id,
            "organizationId": organization_id,
            "status": "pending",
            "format": body.format,
            "executionId": body.execution_id,
            "programId": body.program_id,
            "from": _iso(body.from_),
            "to": _iso(body.to),
            "rowsWritten": 0,
            "totalRows": sum(e.total_contacts for e in executions),
            "error": None,
            "createdAt": utcnow().isoformat(),
            "finishedAt": None,
        }
        _save(self.state, record)
        ids = [e.id for e in executions]
        task = asyncio.create_task(
            self._run(record, ids, recording_url), name=f"export-{export_id}"
        )
        self.tasks[export_id] = task
        task.add_done_callback(lambda _t: self.tasks.pop(export_id, None))
        return record

    async def wait(self, export_id: str) -> None:
        task = self.tasks.get(export_id)
        if task is not None:
            await asyncio.shield(task)

    async def close(self) -> None:
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, record: dict[str, Any], execution_ids: list[str], url: str) -> None:
        org, fmt = record["organizationId"], record["format"]
        target = file_path(self.state, org, record["id"], fmt)
        part = target.with_name(target.name + ".part")

        async def progress(written: int) -> None:
            record.update(status="running", rowsWritten=written)
            _save(self.state, record)

        try:
            record["status"] = "running"
            _save(self.state, record)
            writer = open_writer(part, fmt_of(fmt))
            try:
                async with self.state.sessions() as session:
                    executions = await ExportRepository(session).executions_by_id(
                        org, execution_ids
                    )
                    written = await write_rows(session, org, executions, writer, url, progress)
            finally:
                writer.close()
            os.replace(part, target)
            record.update(status="completed", rowsWritten=written)
        except asyncio.CancelledError:
            record.update(status="failed", error=INTERRUPTED)
            raise
        except Exception:
            log.exception("export %s crashed", record["id"])
            record.update(status="failed", error="The export stopped on an internal error")
        finally:
            part.unlink(missing_ok=True)
            record["finishedAt"] = utcnow().isoformat()
            _save(self.state, record)


def fmt_of(value: str) -> ExportFormat:
    return "xlsx" if value == "xlsx" else "csv"


def jobs_for(state: AppState) -> ExportJobs:
    jobs = state.extras.get(_EXTRAS_KEY)
    if not isinstance(jobs, ExportJobs):
        jobs = ExportJobs(state)
        state.extras[_EXTRAS_KEY] = jobs
    return jobs


async def shutdown_exports(state: AppState) -> None:
    """Stop running exports before the engine closes (they end `failed`)."""
    jobs = state.extras.get(_EXTRAS_KEY)
    if isinstance(jobs, ExportJobs):
        await jobs.close()
