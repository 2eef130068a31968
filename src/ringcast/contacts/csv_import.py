"""CSV import of any size, through the same path as the bulk upsert.

Theory of operation: the file is read as a text stream (UTF-8, a BOM is
skipped) and never held whole. The header line decides the separator (`;` or
`,`, whichever occurs more outside quotes) and is checked before any row is
written: column names are API field names (`primaryPhone`, `firstName`, …)
or `customAttributes.<name>` for a live custom attribute; `channels` cells
list values separated by `|`. Rows are then taken `chunk_rows` at a time
(default 1000); each chunk is one `upsert_contacts` call. Chunks are committed
`commit_rows` rows at a time (default: each chunk in its own transaction;
the CLI uses `BULK_COMMIT_ROWS`, since every commit rewrites the phone-index
pages it touched, and bigger transactions touch each page fewer times), so
memory stays flat and a crash loses at most the rows of the open
transaction, never half of a chunk. Empty cells are left out (they do not
clear stored values). Rejected rows are appended, with their line number and reasons, to a
CSV file as they are found; the first `ERROR_SAMPLE` are also returned.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ringcast.audiences.service import add_members_unchecked
from ringcast.contacts.attribute_values import AttributeType
from ringcast.contacts.schemas import ContactCreate
from ringcast.contacts.service import attribute_types
from ringcast.contacts.upsert import PreparedBatch, prepare_batch_cooperatively, write_batch
from ringcast.errors import BadRequestError, FieldIssue
from ringcast.kit.csvsafe import safe_row

CHUNK_ROWS = 1000
# Rows per transaction for a command-line import, which nobody else waits on:
# a 1M-row import wrote 7.1 GB (WAL + checkpoints) committing every 5,000
# rows, 3.7 GB every 20,000, with 20 times fewer transaction set-ups than
# per 1000. The API's import job keeps per-chunk
# commits so other writers never wait long on SQLite's single write lock.
BULK_COMMIT_ROWS = 20_000
# gen-0 collection threshold for a command-line import (see cli/contacts.py)
BULK_GC_THRESHOLD = 20_000
ERROR_SAMPLE = 100
MAX_COLUMNS = 1000  # the contact fields and up to ~985 custom attributes
MAX_HEADER_CHARS = 1024 * 1024
CUSTOM_PREFIX = "customAttributes."
FIELD_COLUMNS = frozenset(
    (info.alias or name)
    for name, info in ContactCreate.model_fields.items()
    if name != "custom_attributes"
)


class ImportFileError(BadRequestError):
    default_code = "IMPORT_BAD_FILE"


@dataclass(slots=True)
class ImportTotals:
    processed: int = 0
    created: int = 0
    updated: int = 0
    failed: int = 0
    duplicates: int = 0
    bytes_read: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


ChunkHook = Callable[[AsyncSession, ImportTotals], Awaitable[None]]


def sniff_delimiter(header_line: str) -> str:
    counts = {";": 0, ",": 0}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return ";" if counts[";"] > counts[","] else ","


def check_header(header: Sequence[str], attributes: Mapping[str, AttributeType]) -> None:
    """A 400 naming every column that cannot be imported."""
    issues: list[FieldIssue] = []
    seen: set[str] = set()
    for position, name in enumerate(header):
        path = f"header[{position}]"
        if name in seen:
            issues.append(FieldIssue(path, "duplicate_column", f"Column {name!r} appears twice"))
        seen.add(name)
        if name in FIELD_COLUMNS:
            continue
        if name.startswith(CUSTOM_PREFIX):
            if name[len(CUSTOM_PREFIX) :] not in attributes:
                issues.append(
                    FieldIssue(
                        path,
                        "unknown_attribute",
                        f"Column {name!r}: no custom attribute named "
                        f"{name[len(CUSTOM_PREFIX) :]!r}",
                    )
                )
            continue
        issues.append(
            FieldIssue(
                path,
                "unknown_column",
                f"Unknown column {name!r}: use API field names "
                f"({', '.join(sorted(FIELD_COLUMNS))}) or customAttributes.<name>",
            )
        )
    if "primaryPhone" not in seen:
        issues.append(FieldIssue("header", "missing_column", "The primaryPhone column is required"))
    if issues:
        raise ImportFileError(
            "The CSV header cannot be imported", code="IMPORT_BAD_HEADER", issues=issues
        )


def check_file(path: Path, attributes: Mapping[str, AttributeType]) -> None:
    """The upload's header, checked before any job starts (ImportFileError if bad)."""
    source = CsvSource(path)
    try:
        check_header(source.header, attributes)
    finally:
        source.close()


def row_mapper(header: Sequence[str]) -> Callable[[Sequence[str]], dict[str, Any]]:
    """cells → the row as the API would receive it; the column plan is made once."""
    plain: list[tuple[int, str]] = []
    custom: list[tuple[int, str]] = []
    channels: int | None = None
    for position, name in enumerate(header):
        if name.startswith(CUSTOM_PREFIX):
            custom.append((position, name[len(CUSTOM_PREFIX) :]))
        elif name == "channels":
            channels = position
        else:
            plain.append((position, name))

    def to_raw(cells: Sequence[str]) -> dict[str, Any]:
        width = len(cells)
        raw: dict[str, Any] = {
            name: cells[i] for i, name in plain if i < width and cells[i] and not cells[i].isspace()
        }
        values = {
            key: cells[i] for i, key in custom if i < width and cells[i] and not cells[i].isspace()
        }
        if values:
            raw["customAttributes"] = values
        if channels is not None and channels < width and cells[channels].strip():
            raw["channels"] = [p.strip() for p in cells[channels].split("|") if p.strip()]
        return raw

    return to_raw


def row_to_raw(header: Sequence[str], cells: Sequence[str]) -> dict[str, Any]:
    return row_mapper(header)(cells)


class CsvSource:
    """A CSV file opened for streaming: header, separator, rows in chunks."""

    def __init__(self, path: Path) -> None:
        self._binary: BinaryIO = path.open("rb")
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8-sig", newline="")
        try:
            self.header = self._read_header()
        except BaseException:
            self.close()
            raise
        self._reader = csv.reader(self._text, delimiter=self.delimiter)

    def _read_header(self) -> list[str]:
        """The header's column names; a header too long or too wide is a 400."""
        try:
            first = self._text.readline(MAX_HEADER_CHARS + 1)
        except UnicodeDecodeError as exc:
            raise ImportFileError("The file is not UTF-8 text", code="IMPORT_NOT_UTF8") from exc
        if not first.strip():
            raise ImportFileError("The file is empty (no header line)", code="IMPORT_EMPTY_FILE")
        if len(first) > MAX_HEADER_CHARS:
            raise ImportFileError(
                f"The header line is longer than {MAX_HEADER_CHARS} characters",
                code="IMPORT_HEADER_TOO_LONG",
                extra={"maxHeaderChars": MAX_HEADER_CHARS},
            )
        self.delimiter = sniff_delimiter(first)
        header = [h.strip() for h in next(csv.reader([first], delimiter=self.delimiter))]
        if len(header) > MAX_COLUMNS:
            raise ImportFileError(
                f"The header has {len(header)} columns; at most {MAX_COLUMNS} are allowed",
                code="IMPORT_TOO_MANY_COLUMNS",
                extra={"maxColumns": MAX_COLUMNS},
            )
        return header

    def chunks(self, size: int) -> Iterator[list[tuple[int, list[str]]]]:
        """(line number, cells) lists; a line number is where its row starts."""
        chunk: list[tuple[int, list[str]]] = []
        line = 2
        try:
            for cells in self._reader:
                if cells:  # blank lines carry nothing
                    chunk.append((line, cells))
                line = self._reader.line_num + 2
                if len(chunk) >= size:
                    yield chunk
                    chunk = []
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"The file is not UTF-8 text (near line {line})", code="IMPORT_NOT_UTF8"
            ) from exc
        except csv.Error as exc:
            raise ImportFileError(f"Malformed CSV near line {line}: {exc}") from exc
        if chunk:
            yield chunk

    def bytes_read(self) -> int:
        return self._binary.tell()

    def close(self) -> None:
        self._binary.close()


class RejectedWriter:
    """Appends rejected rows (original cells + line + reasons) to a CSV file."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow(safe_row(["line", *header, "errors"]))

    def write(self, line: int, cells: Sequence[str], reasons: str) -> None:
        self._writer.writerow(safe_row([line, *cells, reasons]))

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def _reasons(field_errors: Mapping[str, list[str]]) -> str:
    return "; ".join(f"{path}: {msg}" for path, msgs in field_errors.items() for msg in msgs)


@dataclass(slots=True)
class _Staged:
    """One chunk after parsing: rows to upsert (with their line and cells) and
    rows already rejected for their shape; then the checked batch."""

    kept: list[tuple[int, list[str]]]
    rejected: list[tuple[int, list[str], dict[str, list[str]], Any]]
    size: int
    bytes_read: int
    batch: PreparedBatch | None = None


async def import_csv(
    sessions: async_sessionmaker[AsyncSession],
    organization_id: str,
    path: Path,
    *,
    rejected_path: Path,
    audience_id: str | None = None,
    on_chunk: ChunkHook | None = None,
    chunk_rows: int = CHUNK_ROWS,
    commit_rows: int | None = None,
) -> ImportTotals:
    """Import `path`; raises ImportFileError (nothing written) for a bad header.

    Chunk N+1 is parsed and checked while chunk N is written: the checks are
    Python, the write runs mostly in the database driver's thread. Chunks are
    still committed one after the other, in file order: a transaction is
    committed once it holds `commit_rows` rows (default `chunk_rows`), and
    `on_chunk` runs in it just before each commit."""
    async with sessions() as session:
        attributes = await attribute_types(session, organization_id)
    source = CsvSource(path)
    totals = ImportTotals()
    try:
        check_header(source.header, attributes)
        rejected = RejectedWriter(rejected_path, source.header)
        writing: asyncio.Task[None] | None = None
        to_raw = row_mapper(source.header)
        transactions = _Transactions(sessions, commit_rows or chunk_rows, on_chunk)
        try:
            for chunk in source.chunks(chunk_rows):
                staged = _stage(source, chunk)
                staged.batch = await prepare_batch_cooperatively(
                    [to_raw(cells) for _line, cells in staged.kept],
                    attributes,
                    from_text=True,
                )
                if writing is not None:
                    await writing
                writing = asyncio.create_task(
                    _write(transactions, organization_id, staged, audience_id, totals, rejected)
                )
            if writing is not None:
                await writing
            await transactions.commit(totals)
        finally:
            if writing is not None and not writing.done():
                writing.cancel()
                await asyncio.gather(writing, return_exceptions=True)
            await transactions.close()
            rejected.close()
    finally:
        source.close()
    return totals


def _stage(source: CsvSource, chunk: list[tuple[int, list[str]]]) -> _Staged:
    width = len(source.header)
    staged = _Staged([], [], len(chunk), source.bytes_read())
    for line, cells in chunk:
        if len(cells) > width:
            message = f"the row has {len(cells)} cells, the header {width}"
            staged.rejected.append((line, cells, {"row": [message]}, None))
        else:
            staged.kept.append((line, cells))
    return staged


class _Transactions:
    """The open write transaction chunks go into; committed (after `on_chunk`)
    once it holds `commit_rows` rows, and by `commit` at the end."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        commit_rows: int,
        on_chunk: ChunkHook | None,
    ) -> None:
        self._sessions = sessions
        self._commit_rows = commit_rows
        self._on_chunk = on_chunk
        self._session: AsyncSession | None = None
        self._rows = 0

    async def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._sessions()
            await self._session.begin()
        return self._session

    async def written(self, rows: int, totals: ImportTotals) -> None:
        self._rows += rows
        if self._rows >= self._commit_rows:
            await self.commit(totals)

    async def commit(self, totals: ImportTotals) -> None:
        session, self._session, self._rows = self._session, None, 0
        if session is None:
            return
        try:
            if self._on_chunk is not None:
                await self._on_chunk(session, totals)
            await session.commit()
        finally:
            await session.close()

    async def close(self) -> None:
        """Roll back what is not committed (after a failure)."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()


async def _write(
    transactions: _Transactions,
    organization_id: str,
    staged: _Staged,
    audience_id: str | None,
    totals: ImportTotals,
    rejected: RejectedWriter,
) -> None:
    assert staged.batch is not None
    session = await transactions.session()
    outcome = await write_batch(
        session, organization_id, staged.batch, with_ids=audience_id is not None
    )
    if audience_id is not None and outcome.contact_ids:
        await add_members_unchecked(session, audience_id, outcome.contact_ids)
    failures = list(staged.rejected)
    for failure in outcome.failed:
        line, cells = staged.kept[failure.index]
        failures.append((line, cells, failure.field_errors(), failure.primary_phone))
    failures.sort(key=lambda f: f[0])
    for line, cells, field_errors, phone in failures:
        rejected.write(line, cells, _reasons(field_errors))
        if len(totals.errors) < ERROR_SAMPLE:
            totals.errors.append({"line": line, "primaryPhone": phone, "fieldErrors": field_errors})
    rejected.flush()
    totals.processed += staged.size
    totals.created += outcome.created
    totals.updated += outcome.updated
    totals.failed += len(failures)
    totals.duplicates += len(outcome.duplicates)
    totals.bytes_read = staged.bytes_read
    await transactions.written(staged.size, totals)
