"""Every SQLite/PostgreSQL difference in one place.

- which database a session talks to (`dialect_name`, the one way to ask),
- connection set-up (SQLite: WAL, foreign keys, busy timeout, BEGIN IMMEDIATE),
- reads that never wait for a writer (`read_sessions`: SQLite begins them deferred)
  and write transactions that take turns in the process (`writing`),
- whole `INSERT ... ON CONFLICT` statements (`insert_ignoring`, `upsert`): callers
  get a plain `Insert` and never see a dialect's own types,
- row claiming with `FOR UPDATE SKIP LOCKED` (PostgreSQL only; SQLite has a
  single writer, so a plain select inside the write transaction is enough),
- UUIDs made inside a statement (`row_uuid7`: PostgreSQL's
  `gen_random_uuid()` bits, SQLite's `random()` and `printf`),
- a value bound in every row of a bulk statement, adapted once (`driver_constant`),
- a JSON object merged into a stored one inside an upsert (`json_merge_patch`, SQLite),
- `column IN (many values)` bound as one parameter (`in_values`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Select,
    String,
    any_,
    bindparam,
    case,
    event,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.elements import KeyedColumnElement

from ringcast.db import json_codec
from ringcast.db.base import Base
from ringcast.db.ids import row_prefix

Excluded = ReadOnlyColumnCollection[str, KeyedColumnElement[Any]]
"""The `excluded` row of an upsert: the values the conflicting insert proposed."""

SQLITE_CACHE_KIB = 65536
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a statement waits for another connection's write lock before SQLITE_BUSY
(an API request then answers 503 DATABASE_BUSY: `is_busy`)."""
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000
"""The WAL is folded into the database past this many pages (~40 MiB; SQLite's
default 1000): a 1000-contact upsert in no phone order dirties ~1000 index
pages, so with the default every commit checkpointed (and synced) the pages
of the last one alone; every tenth, a page written by several is copied once."""


READS_ONLY = "ringcast_reads_only"
"""Execution option of a bind whose transactions only read (`read_sessions`):
on SQLite they begin deferred, so they neither take nor wait for the write lock."""


def dialect_name(session: AsyncSession) -> str:
    """`"postgresql"` or `"sqlite"`: the database `session` talks to."""
    return session.get_bind().dialect.name


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def configure_engine(engine: AsyncEngine) -> None:
    """Install per-connection settings for the engine's dialect."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control so every transaction can start with
        # BEGIN IMMEDIATE: a deferred transaction that reads then writes can
        # fail with SQLITE_BUSY at the upgrade, where busy_timeout does not help.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 64 MiB page cache (default 2 MiB): bulk contact imports touch index
        # pages all over a large table; with the default most of them are
        # re-read through syscalls (measured: -35% system time on 300k rows).
        # Memory is taken only as pages are used.
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READS_ONLY):
            conn.exec_driver_sql("BEGIN")  # a WAL snapshot: never waits for a writer
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _insert(model: type[Base], dialect: str) -> postgresql.Insert | sqlite.Insert:
    if dialect == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def insert_ignoring(model: type[Base], dialect: str, *, conflict: Sequence[str]) -> Insert:
    """`INSERT ... ON CONFLICT (conflict) DO NOTHING` into `model`'s table; add
    `.values(...)`, or execute it with a list of rows."""
    return _insert(model, dialect).on_conflict_do_nothing(index_elements=list(conflict))


def upsert(
    model: type[Base],
    dialect: str,
    *,
    conflict: Sequence[str],
    update: Callable[[Excluded], Mapping[str, Any]],
    conflict_where: ColumnElement[bool] | None = None,
) -> Insert:
    """`INSERT ... ON CONFLICT (conflict) [WHERE conflict_where] DO UPDATE SET
    update(excluded)` into `model`'s table; add `.values(...)`."""
    stmt = _insert(model, dialect)
    return stmt.on_conflict_do_update(
        index_elements=list(conflict), index_where=conflict_where, set_=update(stmt.excluded)
    )


def json_merge_patch(
    dialect: str, target: ColumnElement[Any], patch: ColumnElement[Any]
) -> ColumnElement[Any] | None:
    """The JSON text of object `patch` merged into the stored JSON `target` by
    the database (RFC 7396 on top-level scalars, as `contacts.rows.merge_custom`
    does: a null removes the key, another value replaces it in place or is
    appended), `'null'` for an empty result or a `'null'` patch; a target that
    is not an object (SQL NULL, `'null'`) counts as empty. SQLite: `json_patch`.
    None for PostgreSQL: callers merge in Python there."""
    if dialect != "sqlite":
        return None
    null: ColumnElement[Any] = literal_column("'null'")
    empty: ColumnElement[Any] = literal_column("'{}'")
    base = case((func.json_type(target) == literal_column("'object'"), target), else_=empty)
    merged = func.coalesce(func.nullif(func.json_patch(base, patch), empty), null)
    return case((patch == null, null), else_=merged)


def driver_constant(dialect: str, value: Any) -> Any:
    """`value` as the driver will bind it, for a value repeated in every row of an
    `executemany`: on SQLite the stdlib driver turns a datetime into text with
    its registered adapter, in Python, once per row; adapted here once, every
    row binds the same text (as it would have been). Other values, and other
    drivers, unchanged."""
    if dialect == "sqlite":
        return sqlite3.adapt(value, sqlite3.PrepareProtocol, value)
    return value


def in_values(
    column: ColumnElement[str] | InstrumentedAttribute[str], values: Sequence[str], dialect: str
) -> ColumnElement[bool]:
    """`column IN values` with the values in ONE bound parameter (PostgreSQL: an
    array, `= ANY`; SQLite: a JSON array read by `json_each`): a thousand values
    are not a thousand parameters for SQLAlchemy to render into the statement on
    every execution, and no bind-parameter limit applies. The index on `column`
    is used as with a literal list."""
    bound = in_values_param(values, dialect)
    if dialect == "postgresql":
        return column == any_(bindparam(None, bound, type_=postgresql.ARRAY(String)))
    listed = func.json_each(bindparam(None, bound)).table_valued("value")
    return column.in_(select(listed.c.value))


def in_values_param(values: Sequence[str], dialect: str) -> Any:
    """`values` as `in_values` binds them (a list on PostgreSQL, JSON text on SQLite),
    for a statement compiled once and run with new values."""
    return list(values) if dialect == "postgresql" else json_codec.dumps(list(values))


def for_claim(statement: Select[Any], dialect: str) -> Select[Any]:
    """Lock claimed rows so concurrent workers skip them (PostgreSQL)."""
    if dialect == "postgresql":
        return statement.with_for_update(skip_locked=True)
    return statement


def row_uuid7(dialect: str, prefix: str) -> ColumnElement[str]:
    """A version 7 UUID per row of a SELECT, made by the database: `prefix` (24
    characters, `db.ids.row_prefix`), then the row's number in 7 hex digits and 20
    random bits. Ids of one statement increase with the row number, so the rows
    append to the primary-key index; `row_number() OVER ()` is used once, in the
    row's own SELECT (no subquery: the planner keeps the statement's own plan).
    """
    number = func.row_number().over()
    if dialect == "postgresql":
        return func.concat(
            prefix,
            func.lpad(func.to_hex(number), 7, "0"),
            func.substr(func.gen_random_uuid().cast(String), 1, 5),
            type_=String,
        )
    tail = func.printf("%07x%05x", number, func.random().op("&")(0xFFFFF), type_=String)
    return literal(prefix) + tail


def with_time_ordered_ids(dialect: str, rows: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """`rows` with one more column in front: a version 7 UUID per row, made by the
    database in the same statement (`INSERT ... SELECT` of many rows with new ids)."""
    return rows.with_only_columns(row_uuid7(dialect, row_prefix()), *rows.selected_columns)


def is_busy(exc: DBAPIError) -> bool:
    """The database could not take a lock in time: SQLite's SQLITE_BUSY/SQLITE_LOCKED
    after `SQLITE_BUSY_TIMEOUT_MS`, PostgreSQL's lock_not_available (55P03, a
    lock_timeout). Not the request's fault, nothing written: the client may retry."""
    orig = exc.orig
    if getattr(orig, "sqlite_errorname", None) in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        return True
    if getattr(orig, "pgcode", None) == "55P03" or getattr(orig, "sqlstate", None) == "55P03":
        return True
    text = str(orig)
    return "database is locked" in text or "database table is locked" in text


def _sqlite_engine(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine | None:
    """The SQLite engine `sessions` are bound to; None for another database (or a
    test's stand-in without a bind)."""
    bind = getattr(sessions, "kw", {}).get("bind")
    return bind if isinstance(bind, AsyncEngine) and bind.dialect.name == "sqlite" else None


def read_sessions(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """Sessions for work that only reads. On SQLite their transactions begin deferred
    (a WAL snapshot) instead of BEGIN IMMEDIATE, so a read neither waits for another
    connection's write nor holds one up; a write through them may fail with
    SQLITE_BUSY. Elsewhere: `sessions` itself."""
    engine = _sqlite_engine(sessions)
    if engine is None:
        return sessions
    return async_sessionmaker(
        engine.execution_options(**{READS_ONLY: True}),
        **{k: v for k, v in sessions.kw.items() if k != "bind"},
    )


_write_locks: weakref.WeakKeyDictionary[object, dict[asyncio.AbstractEventLoop, asyncio.Lock]]
_write_locks = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def writing(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """`sessions.begin()`, and on SQLite one such transaction at a time per engine in
    this process: the others wait their turn on the event loop (handed the turn the
    moment it is free) rather than in SQLite's busy handler, which polls the lock
    with sleeps of up to 100 ms (measured in the dialer at 300 CPS: claims 0.1-0.6 s
    late behind its own recorder's commits)."""
    engine = _sqlite_engine(sessions)
    if engine is None:
        async with sessions.begin() as session:
            yield session
        return
    locks = _write_locks.setdefault(engine.sync_engine.pool, {})
    loop = asyncio.get_running_loop()
    lock = locks.get(loop)
    if lock is None:
        lock = locks[loop] = asyncio.Lock()
    async with lock, sessions.begin() as session:
        yield session
