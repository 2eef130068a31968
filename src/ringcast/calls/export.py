"""CSV export of call reports: one row per attempt (a job without attempts
gets one row with empty call columns), streamed in batches. The forward
columns: the attempt's last forwarded leg (its number, outcome) and the
bridged time of all its legs."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from ringcast.calls.amd import amd_summary
from ringcast.calls.repository import JobRepository
from ringcast.kit.csvsafe import safe_cell

COLUMNS = (
    "jobId",
    "executionId",
    "contactId",
    "phone",
    "jobStatus",
    "finalOutcome",
    "attempt",
    "callId",
    "from",
    "to",
    "dialedAt",
    "answeredAt",
    "terminatedAt",
    "durationMs",
    "outcome",
    "outcomeReason",
    "answeredBy",
    "amdReason",
    "amdDecisionMs",
    "amdGreetingMs",
    "forwardedTo",
    "forwardOutcome",
    "forwardDurationMs",
)


def _iso(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else ""


E164 = re.compile(r"\+\d{1,15}")


def _cell(value: object) -> object:
    """Spreadsheet-safe (kit/csvsafe), except the E.164 numbers we validated
    ourselves, which no spreadsheet runs as a formula and stay exact for the
    programs that read this export; any other text (a SIP reason phrase from
    the far end) is escaped."""
    if isinstance(value, str) and E164.fullmatch(value):
        return value
    return safe_cell(value)


def _line(values: Sequence[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_cell(v) for v in values])
    return buffer.getvalue()


async def csv_lines(
    session: AsyncSession, organization_id: str, execution_ids: Sequence[str]
) -> AsyncIterator[str]:
    yield _line(COLUMNS)
    async for job, phone, attempt in JobRepository(session).export_rows(
        organization_id, execution_ids
    ):
        call: list[object] = [None] * 17
        if attempt is not None:
            amd = amd_summary(attempt)
            legs = attempt.legs or []
            call = [
                attempt.attempt,
                attempt.id,
                attempt.from_number,
                attempt.to_number,
                _iso(attempt.dialed_at),
                _iso(attempt.answered_at),
                _iso(attempt.terminated_at),
                attempt.duration_ms,
                attempt.outcome,
                attempt.outcome_reason,
                amd.answered_by,
                amd.reason,
                amd.decision_ms,
                amd.greeting_ms,
                legs[-1].get("to") if legs else None,
                legs[-1].get("outcome") if legs else None,
                sum(leg.get("durationMs") or 0 for leg in legs) if legs else None,
            ]
        yield _line(
            [job.id, job.execution_id, job.contact_id, phone, job.status, job.final_outcome, *call]
        )
