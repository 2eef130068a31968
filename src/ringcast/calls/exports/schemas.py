from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from ringcast.kit.schemas import InputSchema, Schema, ZonedDatetime

ExportStatus = Literal["pending", "running", "completed", "failed"]


class ExportCreate(InputSchema):
    """What to export: one execution, one program's executions, or every
    execution of the organization; `from`/`to` keep executions created in
    [from, to)."""

    execution_id: str | None = Field(None, max_length=36)
    program_id: str | None = Field(None, max_length=36)
    from_: ZonedDatetime | None = Field(None, alias="from")
    to: ZonedDatetime | None = None
    format: Literal["csv", "xlsx"] = "csv"


class ExportJob(Schema):
    id: str
    status: ExportStatus
    format: Literal["csv", "xlsx"]
    execution_id: str | None
    program_id: str | None
    from_: datetime | None = Field(alias="from")
    to: datetime | None
    rows_written: int
    total_rows: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    download_url: str | None
