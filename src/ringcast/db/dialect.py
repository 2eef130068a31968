"""Every SQLite/PostgreSQL difference in one place.

- connection set-up (SQLite: WAL, foreign keys, busy timeout, BEGIN IMMEDIATE),
- upsert (`INSERT ... ON CONFLICT`) statement construction,
- row claiming with `FOR UPDATE SKIP LOCKED` (PostgreSQL only; SQLite has a
  single writer, so a plain select inside the write transaction is enough).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert, Select, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

SQLITE_CACHE_KIB = 65536


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
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 64 MiB page cache (default 2 MiB): bulk contact imports touch index
        # pages all over a large table; with the default most of them are
        # re-read through syscalls (measured: -35% system time on 300k rows).
        # Memory is taken only as pages are used.
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def insert_for(table: Table, dialect_name: str) -> Insert:
    """An INSERT that supports `.on_conflict_do_update/nothing` on this dialect."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def for_claim(statement: Select[Any], dialect_name: str) -> Select[Any]:
    """Lock claimed rows so concurrent workers skip them (PostgreSQL)."""
    if dialect_name == "postgresql":
        return statement.with_for_update(skip_locked=True)
    return statement
